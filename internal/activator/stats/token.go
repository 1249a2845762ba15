package stats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wakefn/wake/internal/statwire"
)

// DefaultTokenRefresh is how often the Reporter re-reads its token file and
// sends the token again on every open connection.
const DefaultTokenRefresh = 30 * time.Second

// loadToken reads Options.TokenFile and returns, and keeps for the open
// connections, the auth line carrying its token.
func (r *Reporter) loadToken() ([]byte, error) {
	f, err := os.Open(r.cfg.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("read stats token: %w", err)
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, statwire.MaxAuthBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read stats token %s: %w", r.cfg.TokenFile, err)
	}
	token := string(bytes.TrimSpace(b))
	if token == "" {
		return nil, fmt.Errorf("stats token file %s is empty", r.cfg.TokenFile)
	}
	var line bytes.Buffer
	if err := statwire.WriteAuth(&line, token); err != nil {
		return nil, fmt.Errorf("stats token %s: %w", r.cfg.TokenFile, err)
	}
	out := line.Bytes()
	r.authLine.Store(&out)
	return out, nil
}

// refreshToken re-reads the token file every TokenRefresh until ctx ends
// and has every sender send it again. A file that cannot be read keeps the
// last token: kubelet replaces the file well before the token expires.
func (r *Reporter) refreshToken(ctx context.Context) {
	tick := r.clock.NewTicker(r.cfg.TokenRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
		}
		if _, err := r.loadToken(); err != nil {
			r.log.Info("cannot refresh the stats token, keeping the last one", "error", err.Error())
			continue
		}
		r.tmu.Lock()
		for _, t := range r.targets {
			select {
			case t.reauth <- struct{}{}:
			default:
			}
		}
		r.tmu.Unlock()
	}
}
