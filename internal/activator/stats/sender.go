package stats

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	wire "github.com/wakefn/wake/internal/stats"
)

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// send keeps a connection to the autoscaler and writes queued frames on it
// until ctx ends.
func (r *Reporter) send(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		conn, err := r.dial(ctx)
		if err != nil {
			r.log.V(1).Info("stats connection failed", "address", r.cfg.Address, "error", err.Error(), "retryIn", backoff.String())
			if !r.sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = minBackoff
		r.log.Info("stats connected", "address", r.cfg.Address)
		err = r.stream(ctx, conn)
		conn.Close()
		if ctx.Err() == nil {
			r.log.Info("stats connection lost", "address", r.cfg.Address, "error", fmt.Sprint(err))
		}
	}
}

func (r *Reporter) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: r.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", r.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("dial stats server %s: %w", r.cfg.Address, err)
	}
	return conn, nil
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

// stream writes frames until a write fails, the peer closes, or ctx ends.
func (r *Reporter) stream(ctx context.Context, conn net.Conn) error {
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
			f, ok := r.buf.pop()
			if !ok {
				break
			}
			_ = conn.SetWriteDeadline(time.Now().Add(r.cfg.WriteTimeout))
			if err := wire.Write(conn, f); err != nil {
				r.dropped.Add(1)
				return fmt.Errorf("write stats frame: %w", err)
			}
			r.sent.Add(1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-closed:
			return fmt.Errorf("stats server closed the connection: %w", err)
		case <-r.buf.ready:
		}
	}
}
