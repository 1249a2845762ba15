// Package statwire is the wire format between the activators and the autoscaler.
//
// Each activator keeps one TCP connection open to the autoscaler's stat
// server and writes frames on it; the autoscaler never answers. A frame is
// one JSON object followed by a newline ("\n"), at most MaxFrameBytes long:
//
//	{"src":"wake-activator-7d9f-abcde","ts":1764090000000,"stats":[
//	  {"ns":"default","rev":"hello-00001","c":3.5,"n":42},
//	  {"ns":"team-a","rev":"api-00003","c":0,"n":1,"poke":true}]}
//
// The fields:
//
//   - src: the reporting activator's pod name. The autoscaler sums the
//     stats of all activators per revision and expires a source that has
//     been silent for a while.
//   - ts: when the frame was written, in Unix milliseconds (informational).
//   - stats: one entry per revision that had traffic in the period:
//     ns/rev name the Revision, c is the average number of requests in
//     flight (queued or proxied) over the period, n the number of requests
//     that arrived in it. poke marks the immediate signal sent on the first
//     request for a revision with no ready pod: the autoscaler decides for
//     that revision at once instead of on its next tick.
//
// Activators send a frame every second (Period), and a frame with a single
// poke entry as soon as a request arrives at zero.
//
// A periodic frame may also carry usage: the requests Route rules matched
// on that activator, per rule (and per client where the Route asks), by
// answer class, cumulative since the activator's epoch for one UTC day:
//
//	"usage":{"epoch":1764090000000,"day":"2026-12-02","entries":[
//	  {"ns":"team-a","route":"api","rule":0,"n":[0,120,0,7,1],"lim":5},
//	  {"ns":"team-a","route":"api","rule":0,"client":"alice","n":[0,40,0,0,0]}]}
//
// A frame lists the entries that changed since the previous one and a
// rotating share of the others (at most MaxUsageEntries): being
// cumulative, a later frame makes up for a lost one. A receiver keeps the
// latest counts of each source and epoch, and sums them.
//
// A periodic frame is a snapshot of its source: a revision it does not list
// had no traffic from that source, so an activator sends one every Period
// even when it has nothing to list (an empty stats array). A frame whose
// entries are all pokes is not a snapshot: the receiver merges it into the
// source's current one. For a poke entry the receiver takes the larger of c
// and n, and at least 1, as the revision's concurrency, since the requests
// are waiting.
//
// A receiver drops, and counts, frames it cannot parse and entries with
// negative or non-finite numbers; it closes a connection that sends a frame
// longer than MaxFrameBytes.
//
// # Authentication
//
// The first line on every connection is an auth line, a JSON object with
// only a token, at most MaxAuthBytes long:
//
//	{"token":"eyJhbGciOiJSUzI1NiIs..."}
//
// The token is the activator's projected ServiceAccount token, issued for
// Audience ("wake-autoscaler") and bound to the activator's pod; kubelet
// rotates it in a file. The receiver checks it with the TokenReview API
// and requires the activator's ServiceAccount and a pod binding; from then
// on it accepts only frames whose src is the name of that pod. A sender
// writes another auth line on the open connection whenever its token file
// changes, before the previous token expires; the new token must name the
// same pod. The receiver closes a connection whose first line is not a
// valid auth line, that sends none within a few seconds, whose token is
// refused, or whose token expires without a fresh one. The receiver never
// writes: a sender learns of a refusal from the closed connection.
package statwire
