package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// TestUpgradeAllowList: only WebSocket upgrades (any case) are tunnelled;
// any other Upgrade (h2c, anything) reaches the pod as a plain request,
// without Upgrade nor Connection: upgrade, so a pod willing to switch to
// anything never gets the chance.
func TestUpgradeAllowList(t *testing.T) {
	var mu sync.Mutex
	var sawUpgrade, sawConnection string
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sawUpgrade, sawConnection = r.Header.Get("Upgrade"), r.Header.Get("Connection")
		mu.Unlock()
		up := r.Header.Get("Upgrade")
		if up == "" {
			_, _ = io.WriteString(w, "plain")
			return
		}
		// A pod that switches to whatever it is asked for.
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + up + "\r\nConnection: Upgrade\r\n\r\ntunnel\n")
		_ = brw.Flush()
	})
	f := newFront(t, Options{}, addr(be))
	tests := []struct {
		upgrade, extra string
		code           int
	}{
		{"websocket", "", 101},
		{"WebSocket", "", 101},
		{"h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n", 200},
		{"foo", "", 200},
		{"websocket, foo", "", 200},
		{"TLS/1.2", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.upgrade, func(t *testing.T) {
			conn := f.dial(t)
			conns := "Upgrade"
			if tc.extra != "" {
				conns = "Upgrade, HTTP2-Settings"
			}
			if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: fn.example.com\r\nConnection: %s\r\nUpgrade: %s\r\n%s\r\n", conns, tc.upgrade, tc.extra); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.code {
				t.Fatalf("got %d, want %d", res.StatusCode, tc.code)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.code == 200 && (sawUpgrade != "" || sawConnection != "") {
				t.Errorf("pod saw Upgrade %q, Connection %q; want neither", sawUpgrade, sawConnection)
			}
			if tc.code == 101 && sawUpgrade != tc.upgrade {
				t.Errorf("pod saw Upgrade %q, want %q", sawUpgrade, tc.upgrade)
			}
		})
	}
}
