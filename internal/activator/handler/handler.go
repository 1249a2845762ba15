package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-logr/logr"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/ingress"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/reqlog"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/activator/usage"
	"github.com/wakefn/wake/internal/names"
)

// Throttler is the part of *throttler.Throttler the handler uses.
type Throttler interface {
	Try(ctx context.Context, key throttler.RevisionKey, mode throttler.Mode, fn func(dest string, o throttler.Outcome) error) (throttler.Outcome, error)
}

// Options wires a Handler.
type Options struct {
	// Table holds the current routing table.
	Table *routing.Holder
	// Throttler gives pod slots.
	Throttler Throttler
	// Proxy forwards to pods.
	Proxy *proxy.Proxy
	// Stats measures concurrency; nil disables.
	Stats *stats.Reporter
	// Metrics records Prometheus metrics; nil disables.
	Metrics *metrics.Metrics
	// Tenants enforces the namespaces' tenant limits on the rate of
	// requests (when they arrive) and on requests in flight (while a pod
	// serves them); nil enforces none. A request forwarded by a peer
	// activator was counted against the rate there.
	Tenants *tenant.Limiter
	// RateLimits counts the requests of the Routes' rate-limit policies,
	// together with the other activators; nil enforces none. A request
	// forwarded by a peer activator was counted there.
	RateLimits *ratelimit.Limiter
	// Logs receives the request log lines of the rules that log; nil
	// writes none.
	Logs *reqlog.Buffer
	// Usage counts the requests of each Route rule for the Routes'
	// status.usage; nil counts none.
	Usage *usage.Counter
	// Meter meters the requests that reach a function, and counts those
	// refused before; nil meters none. A request forwarded to a peer
	// activator is metered there.
	Meter *meter.Meter
	// Peers returns the data-plane addresses (ip:port) of the ready
	// activators by index, as the throttler's SetActivators counts them.
	// A request this activator has no share for goes to the owner's
	// address (see throttler.NoShareError). Nil disables forwarding.
	Peers func() []string
	// RetryAfter is sent with 503 answers; default 1s.
	RetryAfter time.Duration
	// Logger receives failures at V(1).
	Logger logr.Logger
}

// Handler is the activator's data-plane http.Handler.
type Handler struct {
	cfg        Options
	log        logr.Logger
	retryAfter []string
}

// New returns a Handler.
func New(cfg Options) *Handler {
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	secs := int64((cfg.RetryAfter + time.Second - 1) / time.Second)
	return &Handler{cfg: cfg, log: cfg.Logger, retryAfter: []string{strconv.FormatInt(secs, 10)}}
}

// ServeHTTP routes, throttles and proxies one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if res, found := h.route(w, r, start); found {
		h.serve(w, r, res, start)
	}
}

// route returns the lookup that found r's revision, or answers r itself
// (400, 404, 405, or a CORS preflight) and returns false. It is a separate
// call so that the lookup's locals are off the stack while a request waits
// in the throttler.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, start time.Time) (routing.Result, bool) {
	if r.Host == "" {
		h.reject(w, http.StatusBadRequest, "missing Host header", start)
		return routing.Result{}, false
	}
	if code, msg := ingress.CheckRequest(r); code != 0 {
		h.reject(w, code, msg, start)
		return routing.Result{}, false
	}
	table := h.cfg.Table.Load()
	if cors.IsPreflight(r) {
		// A preflight is for the rule of the method it asks about; one to
		// a rule without a CORS policy is an ordinary OPTIONS request.
		pre := table.Lookup(r.Host, r.URL.Path, r.Header.Get(cors.HeaderRequestMethod), nil)
		if pre.Kind == routing.Found && pre.CORS != nil {
			h.record(r, pre, start, outcome{code: pre.CORS.Preflight(w, r)})
			return routing.Result{}, false
		}
	}
	res := table.Lookup(r.Host, r.URL.Path, r.Method, nil)
	switch res.Kind {
	case routing.MissHost:
		h.reject(w, http.StatusNotFound, "no route for host", start)
		return res, false
	case routing.MissPath:
		h.reject(w, http.StatusNotFound, "no route for path", start)
		return res, false
	case routing.MissMethod:
		w.Header().Set("Allow", res.Allow())
		h.reject(w, http.StatusMethodNotAllowed, "method not allowed", start)
		return res, false
	}
	return res, true
}

// outcome is how a request that a rule or default host matched ended.
type outcome struct {
	code int
	// client is the client the credential named ("" for none); limited
	// marks a refusal by the rule's rate limits.
	client  string
	limited bool
	// forwarded marks a request a peer activator forwarded here: the peer
	// counts it in the usage and logs it.
	forwarded bool
	// wait is the throttler's outcome; sent the response body's bytes.
	wait throttler.Outcome
	sent int64
}

// record counts a request that res found: under its revision and its
// Route's rule in the metrics (and its client, if the rule counts per
// client), in the usage, and in a log line if the rule logs and samples
// it.
func (h *Handler) record(r *http.Request, res routing.Result, start time.Time, o outcome) {
	client := o.client
	if !res.PerClient {
		client = ""
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.For(res.Revision.Key).Done(o.code, time.Since(start))
		if res.Rule != nil {
			h.cfg.Metrics.RouteDone(res.Rule.Route, res.Rule.Index, o.code)
			if client != "" {
				h.cfg.Metrics.RouteClientDone(res.Rule.Route, res.Rule.Index, client, o.code)
			}
		}
	}
	if res.Rule == nil || o.forwarded {
		return
	}
	if h.cfg.Usage != nil {
		h.cfg.Usage.Done(res.Rule.Route, res.Rule.Index, o.code, client, o.limited)
	}
	if res.Logs != nil && h.cfg.Logs != nil && res.Logs.Sampled() {
		h.cfg.Logs.Add(res.Rule.Route.Namespace, logLine(r, res, start, o))
	}
}

// logLine is the log line of a request.
func logLine(r *http.Request, res routing.Result, start time.Time, o outcome) reqlog.Line {
	total := time.Since(start)
	l := reqlog.Line{
		Time: start.UTC(), Route: res.Rule.Route.Name, Rule: res.Rule.Index, Revision: res.Revision.Key.Name,
		Function: names.FunctionOf(res.Revision.Key.Name), Client: o.client, Method: r.Method, Path: r.URL.Path,
		Status: o.code, Bytes: o.sent, LatencyMs: reqlog.Millis(total), UpstreamMs: reqlog.Millis(total - o.wait.Wait),
		Headers: res.Logs.Headers(r.Header),
	}
	if o.wait.ColdStart {
		l.ColdStartMs = reqlog.Millis(o.wait.Wait)
	} else {
		l.QueueMs = reqlog.Millis(o.wait.Wait)
	}
	if o.code >= 400 && o.wait.Wait == 0 && o.sent == 0 {
		l.UpstreamMs = 0 // answered by the activator
	}
	return l
}

// reject answers a request that matched no revision.
func (h *Handler) reject(w http.ResponseWriter, code int, msg string, start time.Time) {
	http.Error(w, msg, code)
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Unrouted().Done(code, time.Since(start))
	}
}

// attempt is one request's state across Try's calls of fn.
type attempt struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	proto  proxy.Protocol
	pr     proxy.Request
	ns     string // the revision's namespace, for the tenant limits
	rev    string // the revision's name, for the meter
	client string // the client the credential named, if any
	called bool   // fn was called: pr is prepared
	// owned are the response headers the activator set (its rule's CORS
	// headers): the pod's are dropped.
	owned []string
	// reached marks a request sent to a pod (a dial that failed does not
	// count), atFunction its time there over all attempts; forwarded one
	// sent to a peer activator.
	reached    bool
	atFunction time.Duration
	forwarded  bool
}

// prepare readies a.pr to be sent with proto.
func (a *attempt) prepare(proto proxy.Protocol) {
	a.h.cfg.Proxy.PrepareInto(&a.pr, a.ctx, a.w, a.r, proto)
	a.pr.OwnResponseHeaders(a.owned)
	a.called = true
}

// forwardedValue is the value of proxy.ForwardedHeader; shared, read-only.
var forwardedValue = []string{"1"}

// run proxies to dest, counted in flight in its namespace until the
// response ends; over the namespace's tenant limit it returns a
// *tenant.Error instead. o is the throttler's outcome so far: a request it
// held for a cold start reports its wait (both attempts' on a retry).
func (a *attempt) run(dest string, o throttler.Outcome) error {
	slot, err := a.h.cfg.Tenants.Begin(a.ns)
	if err != nil {
		return err
	}
	defer slot.Done()
	if !a.called {
		a.prepare(a.proto)
	}
	setColdStartHeaders(a.w.Header(), o)
	err = a.serve(dest)
	var pe *proxy.Error
	if err != nil && errors.As(err, &pe) {
		switch pe.Kind {
		case proxy.KindDial:
			return fmt.Errorf("%w: %w", throttler.ErrDialFailed, err)
		case proxy.KindBadAnswer:
			return fmt.Errorf("%w: %w", throttler.ErrBadAnswer, err)
		}
	}
	return err
}

// serve proxies to the pod at dest, timed for the meter.
func (a *attempt) serve(dest string) error {
	m := a.h.cfg.Meter
	if m == nil {
		return a.h.cfg.Proxy.Serve(&a.pr, dest)
	}
	key := throttler.RevisionKey{Namespace: a.ns, Name: a.rev}
	m.PodBegin(key, dest)
	start := time.Now()
	err := a.h.cfg.Proxy.Serve(&a.pr, dest)
	a.atFunction += time.Since(start)
	m.PodEnd(dest)
	var pe *proxy.Error
	if err == nil || !errors.As(err, &pe) || pe.Kind != proxy.KindDial {
		a.reached = true
	}
	return err
}

// meter meters a request that ended with code: one that reached a
// function, or one Wake refused (a client that left first was not
// refused). One forwarded to a peer activator is metered there.
func (h *Handler) meter(a *attempt, key throttler.RevisionKey, code int, out throttler.Outcome) {
	switch {
	case h.cfg.Meter == nil || a.forwarded:
	case a.reached:
		var cold time.Duration
		if out.ColdStart {
			cold = out.Wait
		}
		h.cfg.Meter.Request(key, a.client, a.atFunction, cold)
	case code != statusClientClosed:
		h.cfg.Meter.Refused(key, a.client)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, res routing.Result, start time.Time) {
	rev, policy := res.Revision, res.CORS
	key := rev.Key
	ctx, cancel := context.WithTimeout(r.Context(), rev.Timeout)
	defer cancel()
	a := &attempt{h: h, w: w, r: r, ctx: ctx, proto: backendProtocol(rev.Protocol), ns: key.Namespace, rev: key.Name}
	if policy != nil {
		// Set first, so that the activator's own errors carry them too.
		policy.Respond(w.Header(), r.Header.Get(cors.HeaderOrigin))
		a.owned = cors.Owned()
	}
	// Forward at most once; read before the proxy strips internal headers,
	// and only from a peer activator.
	forwarded := len(r.Header[proxy.ForwardedHeader]) > 0 && FromPeer(h.cfg.Peers, r.RemoteAddr)
	if !forwarded { // a forwarded request was checked by the peer
		var ok bool
		if a.client, ok = h.admit(w, r, res, start); !ok {
			return
		}
	} else if res.APIKeys != nil {
		a.client = res.APIKeys.ClientOf(r)
	}
	mode := throttler.Forward
	if h.cfg.Peers == nil || forwarded {
		mode = throttler.Queue
	}

	var (
		out throttler.Outcome
		err error
		sh  stats.Handle
	)
	if !forwarded {
		// The rate is counted where the request arrives: the peer it may
		// be forwarded to does not count it again.
		err = h.cfg.Tenants.Allow(key.Namespace)
	}
	if err == nil {
		if h.cfg.Stats != nil {
			sh = h.cfg.Stats.Begin(key)
		}
		// Released even if the request path panics (else the revision
		// would count as busy forever and never scale to zero).
		defer endStats(&sh)
		out, err = h.cfg.Throttler.Try(ctx, key, mode, a.run)
		endStats(&sh) // a forwarded request is counted by the activator it goes to
		if err != nil {
			if owner, ok := noShareOwner(err); ok {
				err = h.forward(a, key, owner, out)
			}
		}
	}

	code, abort := h.finish(w, r, a, err)
	h.meter(a, key, code, out)
	if h.cfg.Metrics != nil && (a.called || out.Wait > 0) {
		h.cfg.Metrics.For(key).Waited(out.Wait, out.ColdStart)
	}
	h.record(r, res, start, outcome{code: code, client: a.client, forwarded: forwarded, wait: out, sent: a.pr.BytesSent()})
	if abort {
		// The response has started (only breaking it tells the client), or
		// the client is gone (nothing must be answered on its connection).
		panic(http.ErrAbortHandler)
	}
}

// admit applies res's credential and rate-limit policies to r, and
// returns the client the credential named ("" without one). A request
// they refuse is answered here, without waking the function or counting
// as demand, and admit returns false.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, res routing.Result, start time.Time) (client string, ok bool) {
	if res.APIKeys != nil {
		var o apikey.Outcome
		if client, o = res.APIKeys.Check(r); o != apikey.Accepted {
			code := o.Status()
			if code == http.StatusUnauthorized {
				w.Header()["Www-Authenticate"] = res.APIKeys.Challenge()
			}
			http.Error(w, o.String(), code)
			h.cfg.Meter.Refused(res.Revision.Key, client)
			h.record(r, res, start, outcome{code: code})
			return "", false
		}
	}
	if res.RateLimit == nil || h.cfg.RateLimits == nil {
		return client, true
	}
	d := h.cfg.RateLimits.Admit(r.Context(), res.RateLimit, r, client)
	if (d.Refused || d.Shadowed) && h.cfg.Metrics != nil && res.Rule != nil {
		h.cfg.Metrics.RouteLimited(res.Rule.Route, res.Rule.Index, d.Shadowed)
	}
	if !d.Refused {
		return client, true
	}
	hdr := w.Header()
	hdr["Retry-After"] = []string{d.Headers.RetryAfter}
	hdr["Ratelimit-Policy"] = []string{d.Headers.Policy}
	hdr["Ratelimit"] = []string{d.Headers.State}
	http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
	h.cfg.Meter.Refused(res.Revision.Key, client)
	h.record(r, res, start, outcome{code: http.StatusTooManyRequests, client: client, limited: true})
	return client, false
}

// forward sends a request this activator has no share of capacity for to
// the activator owner, once, over HTTP/1.1, marked with
// proxy.ForwardedHeader so that it waits there rather than being forwarded
// again. If the owner's address is not known, or the owner cannot be
// reached (no byte was sent), the request waits here instead, until this
// activator has a share (the activators' endpoints change) or its timeout.
func (h *Handler) forward(a *attempt, key throttler.RevisionKey, owner int, out throttler.Outcome) error {
	peers := h.cfg.Peers()
	if owner < 0 || owner >= len(peers) || peers[owner] == "" {
		h.log.V(1).Info("no address for the activator owning the capacity; waiting here", "revision", key, "owner", owner)
		return h.waitHere(a, key)
	}
	a.prepare(proxy.HTTP1)
	a.r.Header[proxy.ForwardedHeader] = forwardedValue // the header the peer sends
	a.forwarded = true
	setColdStartHeaders(a.w.Header(), out)
	err := h.cfg.Proxy.Serve(&a.pr, peers[owner])
	var pe *proxy.Error
	if err == nil || !errors.As(err, &pe) || pe.Kind != proxy.KindDial {
		return err
	}
	h.log.V(1).Info("activator owning the capacity unreachable; waiting here", "revision", key, "owner", peers[owner], "error", err.Error())
	a.forwarded = false
	delete(a.r.Header, proxy.ForwardedHeader)
	clearColdStartHeaders(a.w.Header())
	a.pr.SetProtocol(a.proto)
	return h.waitHere(a, key)
}

// endStats ends sh once: it is then the zero Handle, whose Done does
// nothing.
func endStats(sh *stats.Handle) {
	sh.Done()
	*sh = stats.Handle{}
}

// waitHere serves a request that could not be forwarded through this
// activator's own throttler, counting it in this activator's stats.
func (h *Handler) waitHere(a *attempt, key throttler.RevisionKey) error {
	var sh stats.Handle
	if h.cfg.Stats != nil {
		sh = h.cfg.Stats.Begin(key)
	}
	defer sh.Done()
	_, err := h.cfg.Throttler.Try(a.ctx, key, throttler.Queue, a.run)
	return err
}

// setColdStartHeaders marks the response to a request held for a cold
// start: Wake-Cold-Start carries the whole wait in milliseconds and
// Server-Timing its phases (see doc.go). Other responses get neither.
func setColdStartHeaders(h http.Header, o throttler.Outcome) {
	if !o.ColdStart {
		return
	}
	slot := o.Wait - o.EndpointWait - o.ReadyWait
	h[proxy.ColdStartHeader] = []string{strconv.FormatInt(o.Wait.Milliseconds(), 10)}
	h[proxy.ServerTimingHeader] = []string{"wake-endpoint;dur=" + ms(o.EndpointWait) +
		", wake-ready;dur=" + ms(o.ReadyWait) + ", wake-slot;dur=" + ms(slot)}
}

// clearColdStartHeaders drops what setColdStartHeaders set.
func clearColdStartHeaders(h http.Header) {
	delete(h, proxy.ColdStartHeader)
	delete(h, proxy.ServerTimingHeader)
}

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// noShareOwner returns the owner of a *throttler.NoShareError in err's chain.
func noShareOwner(err error) (int, bool) {
	var ns *throttler.NoShareError
	if errors.As(err, &ns) {
		return ns.Owner, true
	}
	return 0, false
}

// backendProtocol maps the revision's protocol to the proxy's.
func backendProtocol(p routing.Protocol) proxy.Protocol {
	if p == routing.ProtocolH2C {
		return proxy.H2C
	}
	return proxy.HTTP1
}
