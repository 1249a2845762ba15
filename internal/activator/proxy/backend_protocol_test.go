package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wakefn/wake/internal/testutil"
)

// echoProto answers with the protocol it saw and the body, streams (no
// Content-Length), and sends a trailer.
func echoProto(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	_, _ = io.WriteString(w, r.Proto+" "+string(b))
	w.(http.Flusher).Flush()
	w.Header().Set(http.TrailerPrefix+"X-Status", "done")
}

// TestBackendProtocolFollowsRevision: the protocol to the pod is the one
// passed to Prepare, whatever the client speaks. Before, an h2c client
// calling an HTTP/1.1-only pod got 502 (and an HTTP/1.1 client could not
// reach an h2c-only pod).
func TestBackendProtocolFollowsRevision(t *testing.T) {
	clients := []struct {
		name   string
		client *http.Client
		proto  string
	}{
		{"http1 client", &http.Client{Transport: &http.Transport{}}, "HTTP/1.1"},
		{"h2c client", h2cClient(), "HTTP/2.0"},
	}
	pods := []struct {
		proto Protocol
		saw   string
	}{
		{HTTP1, "HTTP/1.1"},
		{H2C, "HTTP/2.0"},
	}
	for _, pod := range pods {
		be := testutil.SingleProtocolServer(t, pod.proto == H2C, http.HandlerFunc(echoProto))
		f := newFrontTo(t, Options{}, pod.proto, addr(be))
		for _, c := range clients {
			t.Run(c.name+" to "+pod.proto.String()+" pod", func(t *testing.T) {
				defer c.client.CloseIdleConnections()
				req, _ := http.NewRequest("POST", f.URL+"/svc", strings.NewReader("ping"))
				req.Header.Set("Te", "trailers")
				res, err := c.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if err != nil || res.StatusCode != 200 || res.Proto != c.proto {
					t.Fatalf("got %s %d %q, %v; last proxy error %v", res.Proto, res.StatusCode, b, err, f.lastErr.Load())
				}
				if want := pod.saw + " ping"; string(b) != want {
					t.Errorf("body %q, want %q", b, want)
				}
				if got := res.Trailer.Get("X-Status"); got != "done" {
					t.Errorf("trailer X-Status = %q, want done (trailers %v)", got, res.Trailer)
				}
			})
		}
	}
}

// TestUpgradeToH2CPodIsPlainRequest: HTTP/2 has no Upgrade; towards an h2c
// pod the header is dropped and the request forwarded as an ordinary one.
func TestUpgradeToH2CPodIsPlainRequest(t *testing.T) {
	var upgrade, connection string
	be := testutil.SingleProtocolServer(t, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgrade, connection = r.Header.Get("Upgrade"), r.Header.Get("Connection")
		_, _ = io.WriteString(w, r.Proto)
	}))
	f := newFrontTo(t, Options{}, H2C, addr(be))
	req, _ := http.NewRequest("GET", f.URL+"/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != "HTTP/2.0" || upgrade != "" || connection != "" {
		t.Fatalf("got %d %q; pod saw Upgrade %q Connection %q", res.StatusCode, b, upgrade, connection)
	}
}
