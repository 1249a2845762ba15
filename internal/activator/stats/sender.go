package stats

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// send keeps a connection to t and writes t's queued frames on it until
// ctx ends (Run ends, or t is no longer resolved).
func (r *Reporter) send(ctx context.Context, t *target) {
	backoff := minBackoff
	for ctx.Err() == nil {
		conn, err := r.connect(ctx, t.addr)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.V(1).Info("stats connection failed", "address", t.addr, "error", err.Error(), "retryIn", backoff.String())
			if !r.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		r.log.Info("stats connected", "address", t.addr)
		err = r.stream(ctx, conn, t)
		_ = conn.Close() // the stream already failed or ended; err says why
		if ctx.Err() == nil {
			r.log.Info("stats connection lost", "address", t.addr, "error", fmt.Sprint(err))
		}
	}
}

// connect reads the token afresh, dials addr and sends the token as the
// connection's first line.
func (r *Reporter) connect(ctx context.Context, addr string) (net.Conn, error) {
	var auth []byte
	if r.cfg.TokenFile != "" {
		var err error
		if auth, err = r.loadToken(); err != nil {
			return nil, err
		}
	}
	// Ending dctx once connected does not affect the connection.
	dctx, cancel := context.WithTimeout(ctx, r.cfg.DialTimeout)
	defer cancel()
	conn, err := r.cfg.Dial(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial stat server %s: %w", addr, err)
	}
	if auth != nil {
		if err := r.write(conn, auth); err != nil {
			_ = conn.Close() // the write failed; err says why
			return nil, fmt.Errorf("send stats token to %s: %w", addr, err)
		}
	}
	return conn, nil
}

// write writes one line within WriteTimeout.
func (r *Reporter) write(conn net.Conn, line []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(r.cfg.WriteTimeout))
	_, err := conn.Write(line)
	return err
}

// sleep waits d (jittered by up to 20%) on the injected clock.
func (r *Reporter) sleep(ctx context.Context, d time.Duration) bool {
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	t := r.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// stream writes t's frames until a write fails, the peer closes, or ctx
// ends.
func (r *Reporter) stream(ctx context.Context, conn net.Conn, t *target) error {
	closed := make(chan error, 1)
	go func() {
		// The stat server never writes: any read result means it is gone.
		var b [1]byte
		_, err := conn.Read(b[:])
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		closed <- err
	}()
	for {
		for {
			f, ok := t.buf.pop()
			if !ok {
				break
			}
			err := r.write(conn, f)
			t.pending.Add(-1)
			r.progressed()
			if err != nil {
				r.dropped.Add(1)
				return fmt.Errorf("write stats frame: %w", err)
			}
			r.sent.Add(1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-closed:
			return fmt.Errorf("stat server closed the connection: %w", err)
		case <-t.buf.ready:
		case <-t.reauth:
			if auth := r.authLine.Load(); auth != nil {
				if err := r.write(conn, *auth); err != nil {
					return fmt.Errorf("send refreshed stats token: %w", err)
				}
			}
		}
	}
}
