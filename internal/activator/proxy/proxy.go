package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// Options tunes a Proxy. Zero fields take the defaults below.
type Options struct {
	// DialTimeout bounds connecting to a pod; default 1s.
	DialTimeout time.Duration
	// Dial connects to pods; nil means a net.Dialer with DialTimeout.
	// Tests use it to map pod addresses onto loopback.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// MaxIdleConnsPerHost is the keep-alive pool size per pod; default 1024.
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes pooled connections idle this long; default 90s.
	IdleConnTimeout time.Duration
	// BodyIdleTimeout is the longest a client may stall while sending its
	// request body; default 30s, negative disables.
	BodyIdleTimeout time.Duration
	// MaxHeaderBytes bounds a pod's answer head: the status line and
	// headers of the answer and of any informational (1xx) answers before
	// it, together; default DefaultMaxHeaderBytes (the same limit as for
	// clients' requests). Beyond it the answer is a 502 and the
	// connection to the pod is closed.
	MaxHeaderBytes int
	// WriteGrace and MinWriteRate bound how long a client may keep a
	// response write blocked by not reading: a write of n bytes (at most
	// 32 KiB) may stay blocked WriteGrace + n/MinWriteRate, and never past
	// the request's deadline (the revision's timeout); only the time the
	// client makes a write wait counts, not the pod's. Beyond, the
	// client's connection is closed and the pod slot freed: a client that
	// stops reading is cut off about that long after its socket buffers
	// fill. (With LimitUnsent on client connections, a blocked write
	// resumes as soon as the client reads; without it the kernel wakes a
	// writer only after a third of a possibly large send buffer drained.)
	// Defaults 3s and 64 KiB/s: a client must read at about 9 KiB/s or
	// more; a negative WriteGrace disables write deadlines.
	WriteGrace time.Duration
	// MinWriteRate is in bytes per second; see WriteGrace.
	MinWriteRate int
	// BodyGrace and MinBodyRate bound how slowly a client may send its
	// request body: in all it may keep the proxy waiting BodyGrace plus
	// the bytes it sent at MinBodyRate (an average rate, after a grace),
	// else it gets 408 and its slot is freed. Only the time the proxy
	// waits for the client counts, not the pod's. The rate holds until the
	// pod starts answering, and not for gRPC requests (streams of
	// messages); BodyIdleTimeout always holds. Defaults 5s and 1 KiB/s; a
	// negative MinBodyRate disables the rate.
	BodyGrace time.Duration
	// MinBodyRate is in bytes per second; see BodyGrace.
	MinBodyRate int
	// TrustProxy reports whether a client address (RemoteAddr) is a proxy
	// whose X-Forwarded-* headers are kept (see setForwarded); nil trusts
	// none.
	TrustProxy func(remoteAddr string) bool
	// Logger receives upgrade and copy failures.
	Logger logr.Logger
}

func (c Options) withDefaults() Options {
	if c.DialTimeout <= 0 {
		c.DialTimeout = time.Second
	}
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = 1024
	}
	if c.IdleConnTimeout <= 0 {
		c.IdleConnTimeout = 90 * time.Second
	}
	if c.BodyIdleTimeout == 0 {
		c.BodyIdleTimeout = 30 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.WriteGrace == 0 {
		c.WriteGrace = 3 * time.Second
	}
	if c.MinWriteRate <= 0 {
		c.MinWriteRate = 64 << 10
	}
	if c.BodyGrace <= 0 {
		c.BodyGrace = 5 * time.Second
	}
	if c.MinBodyRate == 0 {
		c.MinBodyRate = 1 << 10
	}
	return c
}

// Proxy forwards requests to pods. It is safe for concurrent use.
type Proxy struct {
	cfg  Options
	fast *h1Client // body-less HTTP/1.1 requests
	h1   *http.Transport
	h2c  *http.Transport
	log  logr.Logger
}

// New returns a Proxy.
func New(cfg Options) *Proxy {
	cfg = cfg.withDefaults()
	h1, h2c := newTransports(cfg)
	fast := newH1Client(h1.DialContext, cfg.MaxIdleConnsPerHost, cfg.IdleConnTimeout, cfg.MaxHeaderBytes)
	return &Proxy{cfg: cfg, fast: fast, h1: h1, h2c: h2c, log: cfg.Logger}
}

// CloseIdleConnections closes pooled connections to pods.
func (p *Proxy) CloseIdleConnections() {
	p.fast.closeIdle()
	p.h1.CloseIdleConnections()
	p.h2c.CloseIdleConnections()
}

// Request is one client request prepared for forwarding; it may be served
// more than once (a retry on another pod after KindDial).
type Request struct {
	in       *http.Request
	w        http.ResponseWriter
	rc       http.ResponseController // on w
	wd       writeDeadline
	out      *http.Request
	url      url.URL
	body     body
	spare    [2]string
	upgrade  string
	proto    Protocol
	attempts int
	status   int
	sent     int64 // response body bytes written to the client
	owned    []string
}

// OwnResponseHeaders drops the pod's values of the headers names (in
// canonical form) from its response: the activator sets them itself (for
// example a route's CORS headers). names is kept, not copied.
func (r *Request) OwnResponseHeaders(names []string) { r.owned = names }

// Prepare readies r for forwarding to a pod that serves proto, with ctx
// (which carries the request's deadline) as the pod request's context. It
// takes over r.Header, edited in place: hop-by-hop and internal headers
// removed, X-Forwarded-* set.
func (p *Proxy) Prepare(ctx context.Context, w http.ResponseWriter, r *http.Request, proto Protocol) *Request {
	pr := &Request{}
	p.PrepareInto(pr, ctx, w, r, proto)
	return pr
}

// PrepareInto is Prepare into a Request the caller allocated (for example
// embedded in its own per-request state); pr must be the zero Request.
func (p *Proxy) PrepareInto(pr *Request, ctx context.Context, w http.ResponseWriter, r *http.Request, proto Protocol) {
	pr.in, pr.w, pr.proto = r, w, proto
	pr.rc = *http.NewResponseController(w)
	pr.out = r.WithContext(ctx)
	pr.url = *r.URL
	pr.url.Scheme = "http"
	pr.out.URL = &pr.url
	pr.out.RequestURI = ""
	pr.out.Close = false
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		pr.out.Body = nil
		pr.out.ContentLength = 0
	} else {
		pr.body.rc = r.Body
		if p.cfg.BodyIdleTimeout > 0 || p.cfg.MinBodyRate > 0 {
			pr.body.ctl = &pr.rc
			pr.body.idle = p.cfg.BodyIdleTimeout
			pr.body.grace, pr.body.rate = p.cfg.BodyGrace, p.cfg.MinBodyRate
			if isGRPC(r.Header) {
				// Streams of messages, sent as the client has them.
				pr.body.rate = 0
			}
		}
		if r.ProtoMajor == 1 {
			// Let the pod answer while the client still sends: without
			// this the server would discard what is left of the body once
			// the answer starts (HTTP/2 is always full duplex).
			_ = pr.rc.EnableFullDuplex()
		}
		pr.out.Body = &pr.body
	}
	h := r.Header
	pr.upgrade = removeHopHeaders(h)
	if pr.upgrade != "" && r.ProtoMajor == 1 && proto == HTTP1 && allowedUpgrade(pr.upgrade) {
		h["Connection"] = connUpgrade
		h["Upgrade"] = []string{pr.upgrade}
	} else {
		pr.upgrade = ""
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = emptyValue
	}
	setForwarded(h, r, p.cfg.TrustProxy, &pr.spare)
}

// SetProtocol makes the next Serve speak proto to its destination: for a
// request that goes elsewhere after a KindDial failure (no byte was sent).
// A WebSocket upgrade is dropped when proto is not HTTP1.
func (r *Request) SetProtocol(proto Protocol) {
	r.proto = proto
	if r.upgrade != "" && proto != HTTP1 {
		delete(r.in.Header, "Connection")
		delete(r.in.Header, "Upgrade")
		r.upgrade = ""
	}
}

// Status returns the status sent to the client, 0 if none yet.
func (r *Request) Status() int { return r.status }

// BytesSent returns the bytes of the response body written to the client.
func (r *Request) BytesSent() int64 { return r.sent }

// Serve forwards the request to dest (a pod's ip:port) and streams the
// answer to the client. It returns nil or a *Error.
func (p *Proxy) Serve(pr *Request, dest string) error {
	out := pr.out
	if pr.attempts > 0 {
		// A transport may still refer to the first attempt's request.
		out = out.WithContext(out.Context())
		u := pr.url
		out.URL = &u
	}
	pr.attempts++
	out.URL.Host = dest
	res, err := p.roundTrip(pr, out)
	if err != nil {
		kind := pr.classify(err)
		if kind != KindDial { // else the body is untouched: another attempt may send it
			pr.body.finish()
		}
		return &Error{Kind: kind, Dest: dest, Err: err}
	}
	defer pr.body.finish()
	pr.body.answered.Store(true)
	if res.StatusCode == http.StatusSwitchingProtocols {
		return p.serveUpgrade(pr, res, dest)
	}
	if res.StatusCode < 200 || res.StatusCode > 599 {
		// 1xx are consumed by the clients; anything else is no status
		// (WriteHeader panics below 100).
		_ = res.Body.Close() // the connection is not reused after an unread body
		return &Error{Kind: KindBadAnswer, Dest: dest, Err: fmt.Errorf("%w: invalid status %d", errBadAnswer, res.StatusCode)}
	}
	h := pr.w.Header()
	moveResponseHeaders(h, res.Header, pr.owned)
	pr.status = res.StatusCode
	limit, _ := out.Context().Deadline()
	pr.wd.start(&pr.rc, p.cfg.WriteGrace, p.cfg.MinWriteRate, limit)
	pr.w.WriteHeader(res.StatusCode)
	err = copyResponse(pr.w, res.Body, wantsFlush(res), &pr.wd, &pr.sent)
	_ = res.Body.Close() // the copy's outcome is what matters; a close error adds nothing
	if err != nil {
		kind := KindBackend
		if errors.Is(err, errClientWrite) {
			kind = KindCanceled
		} else if k := pr.classify(err); k == KindTimeout || k == KindCanceled {
			kind = k
		}
		return &Error{Kind: kind, Written: true, Dest: dest, Err: err}
	}
	for k, vv := range res.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
	return nil
}

// isGRPC reports whether h is a gRPC request's: its body is a stream of
// messages that the client sends when it has them, so no minimum rate
// applies (as in ASP.NET Core's gRPC server, for the same reason).
func isGRPC(h http.Header) bool {
	ct := h["Content-Type"]
	return len(ct) > 0 && strings.HasPrefix(ct[0], "application/grpc")
}
