// Package stats measures, per revision, the activator's concurrency and
// request count and pushes them to the autoscaler in the wire format of
// internal/stats (one JSON frame a line over one TCP connection).
//
// The request path calls Begin when a request for a revision arrives
// (before it queues) and Done on the returned handle when it finishes; both
// take one short per-revision lock and read the injected clock. Every
// stats.Period the Reporter cuts a frame: per revision with traffic, the
// time-weighted average number of requests in flight (queued or proxied)
// and the number of arrivals. Poke (pass it as the throttler's OnColdStart)
// sends a one-entry frame with "poke":true at once, so the autoscaler
// decides for a revision at zero without waiting for the next tick. The
// request the poke is about is counted again in the next periodic frame.
//
// Frames go through a bounded buffer (Config.BufferFrames) to a sender
// goroutine that keeps one connection open, redials with exponential
// backoff (100 ms to 5 s) when it drops, and notices a drop at once by
// reading from the connection (the autoscaler never writes). When the
// buffer is full the oldest frame is dropped and counted (Dropped): the
// request path never blocks on the network.
package stats
