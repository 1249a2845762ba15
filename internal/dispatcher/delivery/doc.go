// Package delivery is the Kafka consume-and-deliver engine of Wake's
// dispatcher: a Consumer consumes one KafkaTrigger's topics in a consumer
// group (franz-go) and delivers every message as an HTTP POST to the
// function, through the activator. It knows nothing of Kubernetes: the
// caller turns a trigger into a Config, runs the Consumer, and reads its
// Status into the trigger's conditions.
//
// # Guarantees
//
// Delivery is at least once. An offset is committed only once every
// message below it in its partition is finished: answered with a 2xx (and
// its reply produced and acknowledged, when Config.ReplyTopic is set), or
// produced to the dead-letter topic and acknowledged. Messages finish out
// of order when delivery is unordered; the commit point of a partition is
// the lowest offset received and not finished. Commits are made every
// CommitInterval when something finished, when partitions are revoked
// (what is finished in them), and when Run ends. A message is delivered
// twice only after a failure: a delivery in flight on a partition that is
// revoked, or when Run ends, is abandoned and delivered again by the next
// owner, and a crash redelivers everything after the last commit. Every
// message is delivered with a deterministic ce-id so that the function can
// deduplicate.
//
// A consumer group with no committed offset starts at the earliest message
// (StartAtEarliest) or at the end. Starting at the end, the Consumer
// commits the end offsets as soon as it is assigned the partitions, so
// that messages produced while it restarts before the first one arrived
// are not skipped.
//
// Ordered delivery sends each partition's messages strictly in offset
// order, the next only once the previous one finished; partitions proceed
// in parallel. Unordered delivery keeps up to MaxInFlight messages in
// flight, from any partitions. Both bound the messages in flight by
// MaxInFlight (a batch counts as its messages).
//
// # Requests
//
// With MaxBatch 1, each message is one request in CloudEvents 1.0 binary
// mode: the body is the record's value (empty for a tombstone) and the
// headers are
//
//	Content-Type     the record's "content-type" header if it is a valid media type, else application/octet-stream
//	ce-specversion   1.0
//	ce-id            <topic>-<partition>-<offset>
//	ce-source        kafka://<Name>/<topic> (each segment of Name path-escaped)
//	ce-type          dev.wake.kafka.message
//	ce-subject       <partition>/<offset>
//	ce-time          the record's timestamp, RFC 3339, when it has one
//	ce-partitionkey  the record's key, when it is UTF-8 text without control characters
//	ce-key           else the key in standard base64
//	ce-kafkaheader<name>  each record header whose value is UTF-8 text without control characters
//
// The Host header is Config.Host. Header values are percent-encoded as the
// CloudEvents HTTP binding asks. A record header's name is lowercased and
// stripped of everything but ASCII letters and digits (the only characters
// of CloudEvents attribute names; Knative's KafkaSource does the same);
// when two headers map to one name the first wins. Record contents are
// untrusted, so what they add to a request is bounded: a key over 4 KiB is
// not sent; at most 32 record headers, each value at most 4 KiB, 16 KiB in
// all; headers beyond are dropped.
//
// With MaxBatch above 1, a request carries up to MaxBatch waiting messages
// of one partition (never waiting for more to come) as a JSON array of
// structured events, Content-Type application/cloudevents-batch+json,
// even when only one message is waiting. Each event has the attributes
// above (without percent-encoding), and the value as "data" when its
// content type is JSON and it is valid JSON, as a "data" string when its
// content type is text/* and it is UTF-8, else as "data_base64"; a
// tombstone has no data.
//
// Redirects are not followed. A response body is read up to 64 KiB and
// discarded, so that the connection is reused (a longer body closes it).
// With a reply topic, the body of a 2xx response is read up to 1 MiB and
// produced to the reply topic, keyed by the message's key (no key for a
// batch), with the response's content-type and wake-source-topic,
// wake-source-partition and wake-source-offset headers; an empty body
// produces no reply; a body over 1 MiB is not produced, the message counts
// as delivered and Status.RepliesTooLarge counts it.
//
// # Retries
//
// An attempt failed retryably when there was no response (a connection
// error or the Timeout) or the status was 5xx, 408 or 429: it is retried
// after a backoff that starts at MinBackoff, doubles with each failure up
// to MaxBackoff, and is drawn from the upper half of that ("equal
// jitter"). A Retry-After header (seconds or a date) on a retryable
// response sets the wait instead, capped at MaxBackoff. Any other status
// (3xx, other 4xx) is permanent: no further attempt. After Attempts
// failures, or a permanent one, the message (the batch) is produced to the
// dead-letter topic with its key, value and headers and the headers
//
//	wake-dlq-topic, wake-dlq-partition, wake-dlq-offset  where the message was
//	wake-dlq-error     why, e.g. "HTTP 500 after 3 attempts", "HTTP 404, not retried", "timeout after 3 attempts"
//	wake-dlq-attempts  the attempts made
//
// Without a dead-letter topic such a message is never dropped: it is
// retried every MaxBackoff (with jitter) until delivered, its partition is
// not committed past it (ordered: the partition waits for it), and
// Status.DeliveryError says why. A dead letter or a reply that cannot be
// produced is retried with the same backoff, shown the same way, and the
// message is not committed until it is produced.
//
// # Bounds
//
// At most MaxInFlight messages are being delivered. Fetched messages wait
// in a buffer per partition; when one holds MaxInFlight messages, fetching
// that partition is paused until half of it drained, so a partition holds
// at most twice MaxInFlight messages. franz-go buffers at most
// 2 fetches of 8 MiB (1 MiB per partition).
//
// # Status
//
// Status is a snapshot for the trigger's conditions: whether the broker
// answered (a metadata request every StatusInterval) and why not, whether
// the group was joined, the consumed topics missing, the assigned
// partitions with their committed and end offsets and lag, the counters,
// and the delivery failing for the longest time.
package delivery
