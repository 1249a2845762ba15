package proxy

import (
	"net"
	"net/http"
	"time"
)

// newTransports returns the HTTP/1.1 keep-alive transport and the h2c
// (prior knowledge) transport to pods.
func newTransports(cfg Config) (h1, h2c *http.Transport) {
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	h1 = &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          0, // no global bound; per pod below
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       cfg.IdleConnTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}
	h2c = &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:     cfg.IdleConnTimeout,
		DisableCompression:  true,
		Protocols:           new(http.Protocols),
		HTTP2:               &http.HTTP2Config{PingTimeout: 15 * time.Second, SendPingTimeout: 30 * time.Second},
	}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	return h1, h2c
}
