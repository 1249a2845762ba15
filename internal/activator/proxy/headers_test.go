package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestForwardingHeaders: a client's forwarding headers, in any spelling,
// are replaced unless TrustProxy says the client is a proxy; a trusted
// proxy's canonical ones are kept (X-Forwarded-For appended to), its
// non-canonical spellings still dropped; internal headers in any spelling
// never pass either way.
func TestForwardingHeaders(t *testing.T) {
	var got http.Header
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header()["wake_internal_x"] = []string{"1"}
		w.Header()["WAKE_COLD_START"] = []string{"1"}
		w.Header()["Wake-Internal"] = []string{"1"}
	})
	sent := map[string]string{
		"X-Forwarded-For": "6.6.6.6", "X_Forwarded_For": "7.7.7.7", "X-Forwarded-Proto": "https",
		"X-Forwarded-Host": "lb.test", "X-Forwarded-Port": "443", "X-Forwarded-Prefix": "/p",
		"X-Real-Ip": "6.6.6.6", "x_real_ip": "6.6.6.6", "Forwarded": "for=6.6.6.6", "forwarded_": "x",
		"wake_internal_forwarded": "1", "Wake-Internal": "1", "wake-cold_start": "1", "X-App": "kept",
	}
	tests := []struct {
		name    string
		trusted bool
		send    bool
		want    map[string]string // every header of these families the pod must see, exactly
	}{{
		name: "untrusted client", send: true,
		want: map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "fn.test", "X-App": "kept", "Forwarded_": "x"},
	}, {
		name: "trusted proxy", trusted: true, send: true,
		want: map[string]string{
			"X-Forwarded-For": "6.6.6.6, 127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "lb.test",
			"X-Forwarded-Port": "443", "X-Forwarded-Prefix": "/p", "X-Real-Ip": "6.6.6.6", "Forwarded": "for=6.6.6.6",
			"X-App": "kept", "Forwarded_": "x",
		},
	}, {
		name: "trusted proxy that sent nothing", trusted: true,
		want: map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "fn.test"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := 0
			f := newFront(t, Options{TrustProxy: func(ra string) bool { asked++; return tt.trusted && strings.HasPrefix(ra, "127.0.0.1:") }}, addr(be))
			req, _ := http.NewRequest("GET", f.URL+"/", nil)
			req.Host = "fn.test"
			if tt.send {
				for k, v := range sent {
					req.Header[k] = []string{v}
				}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			for k := range res.Header {
				if isInternal(k) {
					t.Errorf("client got %s", k)
				}
			}
			for k, v := range got {
				n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
				family := strings.HasPrefix(n, "x-forwarded") || n == "x-real-ip" || strings.HasPrefix(n, "forwarded") || strings.HasPrefix(n, "wake") || k == "X-App"
				if family && tt.want[k] != strings.Join(v, ",") {
					t.Errorf("pod got %s %q, want %q", k, v, tt.want[k])
				}
			}
			for k, v := range tt.want {
				if strings.Join(got[k], ",") != v {
					t.Errorf("pod got %s %q, want %q", k, got[k], v)
				}
			}
			if !tt.send && asked != 0 {
				t.Errorf("TrustProxy asked %d times for a request without forwarding headers", asked)
			}
		})
	}
}

// TestFramingAliasesDropped: "_" spellings of framing headers reach neither
// the pod nor the client.
func TestFramingAliasesDropped(t *testing.T) {
	var got http.Header
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header()["Content_Length"] = []string{"0"}
		w.Header()["Transfer_encoding"] = []string{"chunked"}
	})
	f := newFront(t, Options{}, addr(be))
	req, _ := http.NewRequest("GET", f.URL+"/", nil)
	for _, k := range []string{"Transfer_Encoding", "Content_length", "HOST_", "Host_X", "Connection_"} {
		req.Header[k] = []string{"x"}
	}
	req.Header["Transfer_encoding"] = []string{"chunked"}
	req.Header["Content_Length"] = []string{"5"}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	for k := range got {
		if strings.Contains(k, "_") && isFramingAlias(k) {
			t.Errorf("pod got %s", k)
		}
	}
	if _, ok := got["Host_x"]; !ok {
		t.Errorf("pod did not get Host_x, which names no framing header: %v", got)
	}
	for k := range res.Header {
		if strings.Contains(k, "_") && isFramingAlias(k) {
			t.Errorf("client got %s", k)
		}
	}
}

func TestIsInternal(t *testing.T) {
	for name, want := range map[string]bool{
		"Wake-Internal-Forwarded": true, "wake_internal_forwarded": true, "WAKE-INTERNAL_X": true, "Wake-Internal": true,
		"Wake-Cold-Start": true, "wake_cold_start": true, "WAKE-COLD_START": true,
		"Wake-Internals": false, "Wake-Cold-Starter": false, "Wake": false, "Wakeful-Internal-X": false, "X-Wake-Internal": false,
	} {
		if got := isInternal(name); got != want {
			t.Errorf("isInternal(%q) = %v, want %v", name, got, want)
		}
	}
}
