package testutil

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// SingleProtocolServer starts an httptest server for h that speaks only
// h2c (HTTP/2 without TLS) if h2c is set, else only HTTP/1.1, as a pod
// serving one protocol does. It is closed when t ends.
func SingleProtocolServer(t testing.TB, h2c bool, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.Protocols = new(http.Protocols)
	if h2c {
		s.Config.Protocols.SetUnencryptedHTTP2(true)
	} else {
		s.Config.Protocols.SetHTTP1(true)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}
