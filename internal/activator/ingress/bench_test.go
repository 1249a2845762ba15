package ingress

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkScanHead is the guard's cost per request: one typical body-less
// request head, checked in the bytes already read.
func BenchmarkScanHead(b *testing.B) {
	head := []byte("GET /path?q=1 HTTP/1.1\r\nHost: hello.ns.example.com\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\nAccept-Encoding: gzip\r\n\r\n")
	f := framer{limit: 1 << 20}
	b.SetBytes(int64(len(head)))
	b.ReportAllocs()
	for b.Loop() {
		if ok, reason := f.scan(head); ok != len(head) || reason != "" {
			b.Fatal(ok, reason)
		}
	}
}

// BenchmarkCheckRequest is the handler's per-request host and path check.
func BenchmarkCheckRequest(b *testing.B) {
	r := httptest.NewRequest("GET", "http://hello.ns.example.com/path/to/thing?q=1", nil)
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := CheckRequest(r); code != 0 {
			b.Fatal(code)
		}
	}
	_ = http.StatusOK
}
