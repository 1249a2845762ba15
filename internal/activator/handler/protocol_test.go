package handler_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/testutil"
)

// singleProtocolPod starts a pod that serves only proto, answering like a
// gRPC server: its protocol as the body, then a Grpc-Status trailer.
func singleProtocolPod(t *testing.T, proto routing.Protocol) *httptest.Server {
	t.Helper()
	return testutil.SingleProtocolServer(t, proto == routing.ProtocolH2C, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/grpc")
		_, _ = io.WriteString(w, r.Proto)
		w.(http.Flusher).Flush()
		w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
	}))
}

// TestRevisionProtocol: the activator speaks the revision's protocol to its
// pods whatever the client speaks, and trailers come through.
func TestRevisionProtocol(t *testing.T) {
	e := newEnv(t)
	for _, p := range []routing.Protocol{routing.ProtocolHTTP1, routing.ProtocolH2C} {
		pod := singleProtocolPod(t, p)
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "ns", Name: string(p)}, Protocol: p}, 0, 0, hostOf(pod))
	}
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	tests := []struct {
		client, host, want string
		tr                 http.RoundTripper
	}{
		{"http1", "http1.test", "HTTP/1.1", http.DefaultTransport},
		{"http1", "h2c.test", "HTTP/2.0", http.DefaultTransport},
		{"h2c", "http1.test", "HTTP/1.1", h2c},
		{"h2c", "h2c.test", "HTTP/2.0", h2c},
	}
	for _, tc := range tests {
		t.Run(tc.client+" client to "+tc.host, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "http://"+e.addr+"/pkg.Svc/Method", strings.NewReader("x"))
			req.Host = tc.host
			req.Header.Set("Te", "trailers")
			res, err := (&http.Client{Transport: tc.tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != 200 || string(b) != tc.want || res.Trailer.Get("Grpc-Status") != "0" {
				t.Fatalf("got %d %q trailers %v; want 200 %q with Grpc-Status 0", res.StatusCode, b, res.Trailer, tc.want)
			}
		})
	}
}
