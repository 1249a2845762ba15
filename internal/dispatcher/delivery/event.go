package delivery

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// CloudEvents attributes and content types of the requests.
const (
	// EventType is the type attribute of every event.
	EventType = "dev.wake.kafka.message"
	// BatchContentType is the Content-Type of a batch request.
	BatchContentType = "application/cloudevents-batch+json"
	// DefaultContentType is the content type of a message without a
	// valid content-type record header.
	DefaultContentType = "application/octet-stream"
)

// Bounds on what a record's key and headers add to a request: record
// contents are untrusted, and an HTTP server refuses requests whose headers
// are too large.
const (
	maxKeyBytes         = 4 << 10  // a longer key is not sent
	maxKafkaHeaders     = 32       // record headers sent per message
	maxHeaderNameBytes  = 64       // after sanitizing
	maxHeaderValueBytes = 4 << 10  // a longer value is not sent
	maxHeaderBytesTotal = 16 << 10 // names and values of sent record headers
	maxContentTypeBytes = 256
)

// event is one message as a CloudEvent, before encoding in binary or
// structured mode. String values are raw here; binary mode percent-encodes
// them.
type event struct {
	id, source, subject, time string
	contentType               string
	partitionKey              string // "" when the key is absent, empty or not text
	keyBase64                 string // the key, when it is not text
	exts                      []ext  // kafkaheader<name> attributes, in record order
	data                      []byte
	hasData                   bool // false for a nil value (a tombstone)
}

type ext struct{ name, value string }

// eventID is the id attribute: unique per record, and the same on every
// redelivery, so that the function can deduplicate.
func eventID(r *kgo.Record) string {
	return r.Topic + "-" + strconv.FormatInt(int64(r.Partition), 10) + "-" + strconv.FormatInt(r.Offset, 10)
}

// eventSource is the source attribute: kafka://<name>/<topic>, each
// segment of name path-escaped.
func eventSource(name, topic string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "kafka://" + strings.Join(segs, "/") + "/" + url.PathEscape(topic)
}

func makeEvent(name string, r *kgo.Record) event {
	e := event{
		id:          eventID(r),
		source:      eventSource(name, r.Topic),
		subject:     strconv.FormatInt(int64(r.Partition), 10) + "/" + strconv.FormatInt(r.Offset, 10),
		contentType: DefaultContentType,
		data:        r.Value,
		hasData:     r.Value != nil,
	}
	if !r.Timestamp.IsZero() && r.Timestamp.UnixMilli() >= 0 {
		e.time = r.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	if len(r.Key) > 0 && len(r.Key) <= maxKeyBytes {
		if isText(r.Key) {
			e.partitionKey = string(r.Key)
		} else if base64.StdEncoding.EncodedLen(len(r.Key)) <= maxKeyBytes {
			e.keyBase64 = base64.StdEncoding.EncodeToString(r.Key)
		}
	}
	seen := map[string]bool{}
	total := 0
	for _, h := range r.Headers {
		if strings.EqualFold(h.Key, "content-type") {
			if ct, ok := contentType(h.Value); ok && e.contentType == DefaultContentType {
				e.contentType = ct
			}
			continue
		}
		if len(e.exts) == maxKafkaHeaders {
			continue
		}
		n := headerAttr(h.Key)
		if n == "" || seen[n] || len(h.Value) > maxHeaderValueBytes || !isText(h.Value) {
			continue
		}
		if total+len(n)+len(h.Value) > maxHeaderBytesTotal {
			continue
		}
		seen[n] = true
		total += len(n) + len(h.Value)
		e.exts = append(e.exts, ext{n, string(h.Value)})
	}
	return e
}

// headerAttr names the attribute carrying a record header: "kafkaheader"
// and the header's name lowercased, keeping only ASCII letters and digits
// (CloudEvents attribute names allow nothing else). "" means the header is
// not sent.
func headerAttr(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	if b.Len() == 0 || b.Len() > maxHeaderNameBytes {
		return ""
	}
	return "kafkaheader" + b.String()
}

// isText is true for valid UTF-8 without control characters.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// contentType returns v as a media type if it is a valid one.
func contentType(v []byte) (string, bool) {
	if len(v) == 0 || len(v) > maxContentTypeBytes || !isText(v) {
		return "", false
	}
	if _, _, err := mime.ParseMediaType(string(v)); err != nil {
		return "", false
	}
	return string(v), true
}

// setBinaryHeaders sets the request headers of binary mode.
func (e *event) setBinaryHeaders(h http.Header) {
	h.Set("Content-Type", e.contentType)
	h.Set("Ce-Specversion", "1.0")
	h.Set("Ce-Id", pctEncode(e.id))
	h.Set("Ce-Source", pctEncode(e.source))
	h.Set("Ce-Type", EventType)
	h.Set("Ce-Subject", e.subject)
	if e.time != "" {
		h.Set("Ce-Time", e.time)
	}
	if e.partitionKey != "" {
		h.Set("Ce-Partitionkey", pctEncode(e.partitionKey))
	}
	if e.keyBase64 != "" {
		h.Set("Ce-Key", e.keyBase64)
	}
	for _, x := range e.exts {
		h.Set("Ce-"+x.name, pctEncode(x.value))
	}
}

// pctEncode encodes a string attribute for a binary mode header as the
// CloudEvents HTTP binding asks: space, '"', '%' and everything outside
// printable ASCII are percent-encoded as UTF-8 bytes.
func pctEncode(s string) string {
	const hex = "0123456789ABCDEF"
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// structured is the event in structured mode, for a JSON batch.
func (e *event) structured() map[string]any {
	m := map[string]any{
		"specversion":     "1.0",
		"id":              e.id,
		"source":          e.source,
		"type":            EventType,
		"subject":         e.subject,
		"datacontenttype": e.contentType,
	}
	if e.time != "" {
		m["time"] = e.time
	}
	if e.partitionKey != "" {
		m["partitionkey"] = e.partitionKey
	}
	if e.keyBase64 != "" {
		m["key"] = e.keyBase64
	}
	for _, x := range e.exts {
		m[x.name] = x.value
	}
	if e.hasData {
		switch {
		case isJSONType(e.contentType) && json.Valid(e.data):
			m["data"] = json.RawMessage(e.data)
		case isTextType(e.contentType) && utf8.Valid(e.data):
			m["data"] = string(e.data)
		default:
			m["data_base64"] = base64.StdEncoding.EncodeToString(e.data)
		}
	}
	return m
}

// batchBody is the body of a batch request: a JSON array of structured
// events.
func batchBody(name string, recs []*kgo.Record) ([]byte, error) {
	events := make([]map[string]any, len(recs))
	for i, r := range recs {
		e := makeEvent(name, r)
		events[i] = e.structured()
	}
	return json.Marshal(events)
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

func isJSONType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func isTextType(ct string) bool { return strings.HasPrefix(mediaType(ct), "text/") }
