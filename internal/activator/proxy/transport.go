package proxy

import (
	"net"
	"net/http"
	"time"
)

// Protocol is the protocol a pod serves; the proxy speaks it to the pod
// whatever protocol the client speaks.
type Protocol uint8

const (
	// HTTP1 is HTTP/1.1 over keep-alive connections (the zero value).
	HTTP1 Protocol = iota
	// H2C is HTTP/2 over cleartext with prior knowledge, as gRPC servers
	// speak it.
	H2C
)

// String names the protocol as api/v1alpha1 does.
func (p Protocol) String() string {
	if p == H2C {
		return "h2c"
	}
	return "http1"
}

// roundTrip sends out on behalf of pr: body-less HTTP/1.1 requests that
// ask for no upgrade on the proxy's own client, the rest on the transport
// that speaks pr's protocol.
func (p *Proxy) roundTrip(pr *Request, out *http.Request) (*http.Response, error) {
	if pr.proto == HTTP1 && pr.upgrade == "" && out.Body == nil {
		return p.fast.roundTrip(out)
	}
	return p.transport(pr.proto).RoundTrip(out)
}

// transport returns the transport that speaks proto.
func (p *Proxy) transport(proto Protocol) *http.Transport {
	if proto == H2C {
		return p.h2c
	}
	return p.h1
}

// newTransports returns the HTTP/1.1 keep-alive transport and the h2c
// (prior knowledge) transport to pods.
func newTransports(cfg Options) (h1, h2c *http.Transport) {
	dial := cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	h1 = &http.Transport{
		DialContext:           dial,
		MaxIdleConns:          0, // no global bound; per pod below
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       cfg.IdleConnTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
		// All heads of one answer together (1xx ones included).
		MaxResponseHeaderBytes: int64(cfg.MaxHeaderBytes),
	}
	h2c = &http.Transport{
		DialContext:         dial,
		MaxIdleConnsPerHost: cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:     cfg.IdleConnTimeout,
		DisableCompression:  true,
		Protocols:           new(http.Protocols),
		// HTTP/2: the header list size advertised to pods and enforced.
		MaxResponseHeaderBytes: int64(cfg.MaxHeaderBytes),
		HTTP2:                  &http.HTTP2Config{PingTimeout: 15 * time.Second, SendPingTimeout: 30 * time.Second},
	}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	return h1, h2c
}
