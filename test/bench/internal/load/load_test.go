package load

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLoopsSendHostAndHeaderAndCountErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "fn.example" || r.Header.Get("Knative-Serving-Revision") != "rev" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	good := Target{URL: srv.URL, Host: "fn.example", Header: http.Header{"Knative-Serving-Revision": {"rev"}}}
	bad := Target{URL: srv.URL, Host: "fn.example"}
	for _, tc := range []struct {
		name       string
		run        func(Target) Result
		target     Target
		wantErrors bool
	}{
		{"open", func(t Target) Result { return Open(t, 200, 200*time.Millisecond) }, good, false},
		{"open without header", func(t Target) Result { return Open(t, 200, 200*time.Millisecond) }, bad, true},
		{"closed", func(t Target) Result { return Closed(t, 4, 100*time.Millisecond) }, good, false},
		{"closed without header", func(t Target) Result { return Closed(t, 4, 100*time.Millisecond) }, bad, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(tc.target)
			if r.Requests == 0 {
				t.Fatal("no requests sent")
			}
			if tc.wantErrors != (r.Errors == r.Requests) || (!tc.wantErrors && r.Errors != 0) {
				t.Fatalf("%d errors of %d requests, want all errors: %v", r.Errors, r.Requests, tc.wantErrors)
			}
			if tc.name == "open" && r.Requests != 40 {
				t.Fatalf("open loop sent %d requests, want 40", r.Requests)
			}
		})
	}
}
