package handler_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/wakefn/wake/internal/activator/server"
)

// BenchmarkServedRequest measures one keep-alive GET through the data
// server (the connection guard included), the handler and the proxy to a
// loopback backend; allocations include the client's and the server's.
func BenchmarkServedRequest(b *testing.B) {
	h := benchHandler(b, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, server.Options{Handler: h, Listener: ln, AdminListener: aln}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/path?q=1", nil)
	req.Host = "hello.ns.example.com"
	req.Header.Set("User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
