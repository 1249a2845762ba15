// Package handler is the activator's request path: route lookup, then the
// throttler (a pod slot, waiting in the revision's queue if needed), then
// the proxy to the pod in the protocol the revision serves (HTTP/1.1 or
// h2c, from routing.Revision.Protocol, whatever the client speaks).
//
// # Status codes
//
// Answers written by the activator itself (anything else comes from the
// function):
//
//	400 Bad Request          the request has no Host, or its body is
//	                         malformed (e.g. invalid chunked encoding); the
//	                         Go server also answers 400 for unparsable
//	                         requests and invalid Host headers
//	404 Not Found            no route for the host, or for the path on it
//	405 Method Not Allowed   the path matched but not the method; Allow
//	                         lists the methods allowed on that path
//	408 Request Timeout      the client stalled sending its body for longer
//	                         than the body idle timeout, or sent it below
//	                         the minimum rate after the grace (see
//	                         proxy.Options.MinBodyRate)
//	431 Request Header Fields Too Large
//	                         headers over the server's MaxHeaderBytes
//	                         (written by the Go server)
//	502 Bad Gateway          the pod could not be reached (after one retry
//	                         on another pod), reset or closed the
//	                         connection, or answered garbage: headers over
//	                         64 KiB (1xx heads included), more than 5
//	                         informational answers, a status outside
//	                         200-599, a 101 nobody asked for; or the
//	                         activator a request was forwarded to (see
//	                         below) could not be reached
//	429 Too Many Requests    the revision's namespace already holds its cap
//	                         of waiting requests (all its revisions
//	                         together, activator-max-held-requests-per-
//	                         namespace); with Retry-After and
//	                         "Wake-Limit: namespace-held-requests"
//	429 Too Many Requests    a tenant limit of the revision's namespace,
//	                         this activator's share of it (package
//	                         tenant): requests in flight ("Wake-Limit:
//	                         tenant-in-flight", asked when a pod is given
//	                         to the request, so a request waiting is not
//	                         in flight), requests held ("tenant-held-
//	                         requests", counted by the throttler with the
//	                         namespace's cap above) or the rate
//	                         ("tenant-rate", asked on arrival, Retry-After
//	                         the seconds until a token); with Retry-After.
//	                         A request a tenant limit refused is never
//	                         forwarded; a forwarded one counts against the
//	                         rate where it arrived and in flight where it
//	                         is served
//	503 Service Unavailable  the revision's queue is full, the activator
//	                         already holds its cap of waiting requests
//	                         (all revisions together), or the revision
//	                         is unknown to the throttler or was removed
//	                         while the request waited; with Retry-After.
//	                         A connection over the activator's cap on
//	                         open connections is answered 503 with
//	                         Retry-After by the server and closed
//	504 Gateway Timeout      the revision's timeoutSeconds passed, waiting
//	                         or waiting for the pod's answer
//	499 (metrics only)       the client left before an answer; nothing is
//	                         written. A request waiting in a queue leaves
//	                         it as soon as its client closes or resets the
//	                         connection, even with its body unread (see
//	                         package clientgone)
//
// A header read timeout closes the connection without an answer, as the Go
// server does; so does a client that does not read its response fast
// enough (proxy.Options.WriteGrace), which frees the pod slot. When the response has started and then fails (the pod dies
// mid-body, the timeout hits mid-stream), the handler aborts the stream
// (HTTP/1.1: the connection is closed; HTTP/2: the stream is reset) so the
// client cannot take a truncated body for a whole one.
//
// # Forwarding to the activator that owns the capacity
//
// While a revision has fewer slots (pods × containerConcurrency) than there
// are activators, some activators have no share of any pod (see the
// throttler). A request reaching one of them is forwarded once, over
// HTTP/1.1 with the same Host, path and body, to the activator that owns
// the first slot (throttler.NoShareError, Options.Peers for its address),
// marked with the internal header Wake-Internal-Forwarded. The receiving
// activator reads that header before the proxy strips internal headers
// (they never reach pods or clients) and queues the request as usual,
// never forwarding it again. A request held here for a cold start is
// forwarded as soon as the pod is up, and keeps its Wake-Cold-Start header.
// When the owner's address is unknown, or the owner cannot be reached (no
// byte was sent, for example while it is being replaced), the request
// waits here instead, until this activator has a share (the activators'
// endpoints change) or the revision's timeout.
//
// # Cold starts
//
// A request that the throttler held for a cold start (it arrived while its
// revision had no usable pod: throttler.Outcome.ColdStart) gets the response
// header Wake-Cold-Start: <milliseconds it waited in the throttler>, taken
// from the outcome the throttler hands to the proxying function, and a
// Server-Timing header splitting that wait into phases, in milliseconds:
//
//	Server-Timing: wake-endpoint;dur=712.4, wake-ready;dur=140.2, wake-slot;dur=0.1
//
// wake-endpoint lasts until a pod of the revision is listed in its
// endpoints (the autoscaler's decision, scheduling, the pod sandbox),
// wake-ready until that pod accepts the activator's probe or is ready (the
// app starting), and wake-slot until the request had a slot on it. Other
// requests, including those that only queued for capacity, get neither. An
// error answer written by the activator drops both. The autoscaler hears of
// a cold start from the throttler itself (package dataplane wires its
// Options.OnColdStart to the stats reporter's Poke).
package handler
