package ratelimit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PeerPath is where an activator answers its peers' asks for tokens of
// the keys it owns.
const PeerPath = "/ratelimit/v1/take"

// Bounds on what a peer may ask.
const (
	maxAskBytes = 4096
	maxKeyBytes = 2048
	maxNSBytes  = 63
)

// ask is a peer's request for tokens of a key this activator owns.
type ask struct {
	NS   string `json:"ns"`
	Key  string `json:"k"`
	Spec Spec   `json:"s"`
	Want int64  `json:"n"`
}

// grant is the owner's answer: Granted tokens, or none for WaitMs.
type grant struct {
	Granted int64 `json:"g"`
	WaitMs  int64 `json:"w,omitempty"`
}

// refill asks key's owner at addr for want tokens and records the answer
// in ls.
func (l *Limiter) refill(ls *lease, addr, key string, s Spec, want int64) {
	g, err := l.ask(addr, ask{NS: ls.ns, Key: key, Spec: s, Want: want})
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.log.V(1).Info("rate-limit owner did not answer; counting its keys here at this activator's share", "peer", addr, "error", err.Error())
		l.down[addr] = now.Add(l.o.PeerDownFor)
	}
	ls.answered(now, g.Granted, time.Duration(g.WaitMs)*time.Millisecond, l.o.LeaseTTL, err != nil)
}

// ask sends a to the owner at addr.
func (l *Limiter) ask(addr string, a ask) (grant, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return grant{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.o.PeerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+PeerPath, bytes.NewReader(body))
	if err != nil {
		return grant{}, err
	}
	resp, err := l.o.Client.Do(req)
	if err != nil {
		return grant{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return grant{}, fmt.Errorf("owner answered %s", resp.Status)
	}
	var g grant
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAskBytes)).Decode(&g); err != nil {
		return grant{}, fmt.Errorf("owner's answer: %w", err)
	}
	if g.Granted < 0 || g.Granted > a.Want || g.WaitMs < 0 {
		return grant{}, fmt.Errorf("owner's answer out of range: %+v", g)
	}
	return g, nil
}

// PeerHandler answers the peers' asks for tokens; fromPeer reports whether
// a connection comes from a peer activator, and anything else is refused
// 403.
func (l *Limiter) PeerHandler(fromPeer func(remoteAddr string) bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PeerPath, func(w http.ResponseWriter, r *http.Request) {
		if fromPeer == nil || !fromPeer(r.RemoteAddr) {
			http.Error(w, "not a peer activator", http.StatusForbidden)
			return
		}
		var a ask
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAskBytes)).Decode(&a); err != nil {
			http.Error(w, "malformed ask: "+err.Error(), http.StatusBadRequest)
			return
		}
		if a.NS == "" || len(a.NS) > maxNSBytes || a.Key == "" || len(a.Key) > maxKeyBytes ||
			!a.Spec.valid() || a.Want < 1 || a.Want > a.Spec.Burst {
			http.Error(w, "ask out of range", http.StatusBadRequest)
			return
		}
		now := l.o.Now()
		l.mu.Lock()
		g, wait := l.grantLocked(a.NS, a.Key, a.Spec, a.Want, now)
		l.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(grant{Granted: g, WaitMs: int64((wait + time.Millisecond - 1) / time.Millisecond)})
	})
	return mux
}
