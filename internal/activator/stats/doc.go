// Package stats measures, per revision, the activator's concurrency and
// request count and pushes them to the autoscaler in the wire format of
// internal/statwire (one JSON frame a line over TCP).
//
// The request path calls Begin when a request for a revision arrives
// (before it queues) and Done on the returned handle when it finishes; both
// take one short per-revision lock and read the injected clock.
//
// # Frames
//
// Every stats.Period the Reporter cuts a frame, even when there is nothing
// to list: a periodic frame is a snapshot of this activator, and a revision
// it leaves out counts as zero from it. It holds, per revision with
// traffic in the period, the time-weighted average number of requests in
// flight (queued or proxied) and the number of arrivals. Poke (pass it as
// the throttler's OnColdStart) sends a frame with a single "poke":true
// entry at once, so the autoscaler decides for a revision at zero without
// waiting for the next tick; the receiver merges such a frame into the
// current snapshot. The request the poke is about is counted again in the
// next periodic frame.
//
// # Stat servers
//
// The autoscaler runs in every wake-controller replica, the leader and its
// standbys (which collect too, so that a failover keeps the history), and
// each must get every frame. Options.Address is therefore normally the DNS
// name of a headless Service ("wake-autoscaler.wake-system.svc:8090"): the
// Reporter resolves it at start and every ResolvePeriod (5 s), and keeps
// one sender per resolved ip:port, each with its own bounded buffer
// (Options.BufferFrames) and connection. Every frame is encoded once and
// queued for every sender. A resolution that fails or finds nothing keeps
// the current senders; an address that leaves the answer has its sender
// stopped and its connection closed.
//
// A sender redials with exponential backoff (100 ms to 5 s) when its
// connection drops, and notices a drop at once by reading from the
// connection (the autoscaler never writes). When its buffer is full the
// oldest frame is dropped and counted (Dropped). So a dead or slow
// autoscaler replica never holds up the others, and the request path never
// blocks on the network.
//
// # Authentication
//
// The stat servers accept only Wake's activators (internal/statwire,
// "Authentication"). With Options.TokenFile set (the activator's projected
// ServiceAccount token for stats.Audience, which kubelet rotates), a
// sender reads the file before every connection attempt and sends the
// token as the connection's first line; without a readable token it does
// not connect, and retries with its backoff. Every TokenRefresh (30 s) the
// Reporter re-reads the file and every sender sends the token again on its
// open connection, so a rotated token reaches the server long before the
// old one expires (kubelet rotates at 80% of the token's life, 8 minutes
// into a 10-minute token), and a fresh token the server could not review
// at once is offered again.
package stats
