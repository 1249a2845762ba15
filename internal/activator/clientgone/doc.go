// Package clientgone ends the wait of a queued request whose client has
// gone, even when the request's body is still unread.
//
// net/http cancels a request's context when its client closes the
// connection only once the body has been read (its background read starts
// at the body's EOF). A request held in a throttler queue has not had its
// body read: an upload waiting for a cold start, or a client that sent
// headers and part of a body and vanished, would otherwise outlive its
// client until the revision's timeout, holding a queue place and counting
// as demand for the autoscaler.
//
// The server stores each accepted connection in its context (WithConn, as
// http.Server.ConnContext). While a request waits, Watcher.Hold has its
// connection's socket registered with an epoll instance of the Watcher's
// own for EPOLLRDHUP (and EPOLLHUP/EPOLLERR, always reported): the kernel
// reports the peer's FIN or RST whatever unread bytes sit in the receive
// buffer, without a byte being consumed, the way Envoy watches a
// downstream connection whose reads are disabled. One goroutine waits on
// that epoll instance for all held connections, so detection is immediate
// and costs nothing while nobody leaves; registering costs two epoll_ctl
// calls per wait, made by another goroutine of the Watcher, and only
// requests that actually wait in a queue pay them. Several requests
// waiting on one connection (HTTP/2 streams) share one registration. Hold
// returns a channel, closed when the client is gone; the throttler then
// fails the wait with throttler.ErrClientGone.
//
// A FIN counts as the client leaving, as net/http itself treats an EOF in
// its background read: a client that half-closes its side after sending a
// request is not supported by net/http either. HTTP/2 needs no watch (a
// stream reset or a closed connection cancels the stream's context) but is
// harmless to watch. On systems other than Linux, Hold does nothing.
package clientgone
