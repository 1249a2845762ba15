package proxy

import (
	"net/http"
	"time"
)

// deadlineSlack is how much further than needed a write deadline is
// pushed, so that a stream of quick writes moves it about four times a
// second rather than on every write.
const deadlineSlack = 250 * time.Millisecond

// writeDeadline bounds the writes of one response to the client, so that a
// client that stops reading (or reads too slowly) frees its pod slot: a
// write of n bytes may stay blocked at most grace + n/rate, and never past
// the request's deadline (the revision's timeout). Only the time a write
// is blocked counts; a pod that is slow to answer costs the client
// nothing.
//
// The deadline lives on the connection (HTTP/1) or stream (HTTP/2), set
// through http.ResponseController; it is set once when the response starts
// and moved only when a write needs more time than it leaves, so a small
// response costs one call. The HTTP/1 server clears it after the response
// (after its final flush, which it thus also bounds).
type writeDeadline struct {
	rc    *http.ResponseController
	grace time.Duration
	rate  int       // bytes per second
	limit time.Time // the request's deadline; zero: none
	set   time.Time // the deadline in force; zero: none yet
	off   bool      // disabled, or unsupported by the ResponseWriter
}

// start readies d for a response; grace < 0 disables it.
func (d *writeDeadline) start(rc *http.ResponseController, grace time.Duration, rate int, limit time.Time) {
	*d = writeDeadline{rc: rc, grace: grace, rate: rate, limit: limit, off: grace < 0 || rate <= 0}
	d.before(0)
}

// before makes sure the deadline in force leaves a write of n bytes its
// time from now.
func (d *writeDeadline) before(n int) {
	if d.off {
		return
	}
	need := time.Now().Add(d.grace + time.Duration(float64(n)/float64(d.rate)*float64(time.Second)))
	if capped := !d.limit.IsZero() && !need.Before(d.limit); capped {
		need = d.limit
	}
	if !d.set.IsZero() && !d.set.Before(need) {
		return
	}
	dl := need.Add(deadlineSlack)
	if !d.limit.IsZero() && dl.After(d.limit) {
		dl = d.limit
	}
	if err := d.rc.SetWriteDeadline(dl); err != nil {
		d.off = true // not supported: only the request's deadline bounds the writes
		return
	}
	d.set = dl
}

// headWriteDeadline is the deadline for writing a response head (at most
// MaxHeaderBytes) to pr's client: the write grace and the head's size at
// the minimum rate, capped by the request's deadline; none when response
// write deadlines are disabled.
func (p *Proxy) headWriteDeadline(pr *Request) time.Time {
	if p.cfg.WriteGrace < 0 {
		limit, _ := pr.out.Context().Deadline()
		return limit
	}
	dl := time.Now().Add(p.cfg.WriteGrace + time.Duration(float64(p.cfg.MaxHeaderBytes)/float64(p.cfg.MinWriteRate)*float64(time.Second)))
	if limit, ok := pr.out.Context().Deadline(); ok && limit.Before(dl) {
		dl = limit
	}
	return dl
}
