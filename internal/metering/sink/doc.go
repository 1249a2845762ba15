// Package sink exports metering records to where they are billed: a JSON
// Lines file (or stdout) and a signed HTTP webhook today, and anything else
// that implements Sink (a Kafka producer is the next one planned).
//
// # Record flow
//
// The usage aggregator closes a window into metering.Records, wraps each in
// its CloudEvents envelope (metering.EventOf) and hands the events to one
// Exporter per configured sink (Exporter.Add, which never blocks). Each
// Exporter holds its events in a bounded queue and sends them in order, in
// batches of at most MaxBatch: a full batch at once, a partial one at the
// next FlushInterval tick. On shutdown, after Run's context ends,
// Exporter.Flush sends what is still queued.
//
// # Delivery: at least once, in order, bounded
//
// A batch whose Send fails with a retryable error stays at the head of the
// queue and is sent again after an exponential backoff with jitter
// (MinBackoff doubling up to MaxBackoff), so events arrive in the order
// they were added. A Send that was cut off (a timeout, a shutdown) may have
// reached the sink anyway, so a receiver can see an event twice: every
// event's id is its record's deterministic ID (metering.RecordID), and
// receivers deduplicate on it.
//
// An event is lost only in two cases, each counted in Exporter.Dropped and
// in wake_metering_records_dropped_total{sink,reason}:
//   - reason="queue_full": the queue held MaxQueue events (the sink was down
//     or slow for long) and a new one arrived; the oldest are dropped, so
//     memory stays bounded and the most recent use is kept.
//   - reason="refused": the sink refused the batch for good (Permanent,
//     e.g. a webhook's 400 or 401): sending it again cannot help. It is
//     logged.
//
// # Webhook signature (for receivers)
//
// The Webhook sink POSTs a batch as a JSON array of CloudEvents
// (Content-Type: application/cloudevents-batch+json) with the header
//
//	Wake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>." + body)>
//
// where body is the exact request body and key the shared secret. A
// receiver recomputes the HMAC over the bytes it read, compares it in
// constant time, and rejects a timestamp far from its own clock (replays):
// Verify does all three. A 2xx answer acknowledges the batch; 408, 429 and
// 5xx are retried; any other 4xx refuses it for good.
//
// # Metrics
//
//	wake_metering_records_exported_total{sink}        counter (events the sink accepted)
//	wake_metering_records_dropped_total{sink,reason}  counter (events lost: queue_full, refused)
//	wake_metering_export_failures_total{sink}         counter (failed Send attempts, retried)
//	wake_metering_records_queued{sink}                gauge (events waiting)
package sink
