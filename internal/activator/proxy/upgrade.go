package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// allowedUpgrade reports whether the protocol a client asked to upgrade to
// may be tunnelled to a pod: only WebSocket, the one upgrade functions
// need. Any other (h2c, TLS, anything) is ignored, as RFC 9110 7.8 allows:
// the request reaches the pod as a plain one, without Upgrade, so a pod
// cannot switch the activator's connection to a protocol it does not
// check.
func allowedUpgrade(proto string) bool {
	return strings.EqualFold(textproto.TrimString(proto), "websocket")
}

// serveUpgrade relays a 101 answer and then copies bytes both ways until
// one side closes or the request's context ends.
func (p *Proxy) serveUpgrade(pr *Request, res *http.Response, dest string) error {
	back, ok := res.Body.(io.ReadWriteCloser)
	if !ok {
		_ = res.Body.Close()
		return &Error{Kind: KindBackend, Dest: dest, Err: errors.New("101 response body is not writable")}
	}
	resUp := res.Header.Get("Upgrade")
	if pr.upgrade == "" || !strings.EqualFold(resUp, pr.upgrade) {
		_ = back.Close()
		return &Error{Kind: KindBackend, Dest: dest, Err: fmt.Errorf("pod switched to protocol %q, client asked for %q", resUp, pr.upgrade)}
	}
	conn, brw, err := http.NewResponseController(pr.w).Hijack()
	if err != nil {
		_ = back.Close()
		return &Error{Kind: KindBackend, Dest: dest, Err: fmt.Errorf("hijack client connection: %w", err)}
	}
	// Closing ends the tunnel; by then there is no one left to tell of a failure.
	defer func() { _ = conn.Close() }()
	defer func() { _ = back.Close() }()
	// The 101 must reach the client within the write grace (a client
	// that does not read it must not hold the slot); the tunnel then has
	// no deadline but the request's.
	_ = conn.SetReadDeadline(time.Time{})
	_ = conn.SetWriteDeadline(p.headWriteDeadline(pr))
	pr.status = http.StatusSwitchingProtocols

	h := pr.w.Header()
	moveResponseHeaders(h, res.Header, pr.owned)
	h["Connection"] = connUpgrade
	h["Upgrade"] = []string{resUp}
	res.Header = h
	res.Body = nil
	err = res.Write(brw)
	if err == nil {
		err = brw.Flush()
	}
	if err != nil {
		return &Error{Kind: KindCanceled, Written: true, Dest: dest, Err: fmt.Errorf("write 101 to client: %w", err)}
	}
	_ = conn.SetWriteDeadline(time.Time{})

	errc := make(chan error, 2)
	go func() {
		// Bytes the client sent after its request, already buffered.
		if n := brw.Reader.Buffered(); n > 0 {
			if _, err := io.CopyN(back, brw, int64(n)); err != nil {
				errc <- err
				return
			}
		}
		_, err := io.Copy(back, conn)
		closeWrite(back)
		errc <- err
	}()
	go func() {
		_, err := io.Copy(conn, back)
		closeWrite(conn)
		errc <- err
	}()
	ctx := pr.out.Context()
	for range 2 {
		select {
		case err := <-errc:
			if err != nil {
				return nil // either side closed; the tunnel is over
			}
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// closeWrite half-closes c when it can, so the other side sees EOF.
func closeWrite(c any) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else if nc, ok := c.(net.Conn); ok {
		_ = nc.Close()
	}
}
