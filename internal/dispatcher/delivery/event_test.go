package delivery

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
)

func hdr(k, v string) kgo.RecordHeader { return kgo.RecordHeader{Key: k, Value: []byte(v)} }

func TestBinaryHeaders(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 800_000_000, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name string
		rec  *kgo.Record
		want map[string]string // headers that must be present with these values; "" = absent
	}{
		{
			name: "text key, content type, headers",
			rec: &kgo.Record{
				Topic: "orders", Partition: 2, Offset: 17, Timestamp: ts,
				Key: []byte("customer 42"), Value: []byte(`{"a":1}`),
				Headers: []kgo.RecordHeader{hdr("Content-Type", "application/json"), hdr("traceparent", "00-abc-01"), hdr("X-Foo_Bar", "v")},
			},
			want: map[string]string{
				"Content-Type": "application/json", "Ce-Specversion": "1.0", "Ce-Id": "orders-2-17",
				"Ce-Source": "kafka://team-a/orders/orders", "Ce-Type": EventType, "Ce-Subject": "2/17",
				"Ce-Time": "2026-03-04T04:06:07.8Z", "Ce-Partitionkey": "customer%2042", "Ce-Key": "",
				"Ce-Kafkaheadertraceparent": "00-abc-01", "Ce-Kafkaheaderxfoobar": "v",
			},
		},
		{
			name: "binary key goes base64 in ce-key",
			rec:  &kgo.Record{Topic: "t", Key: []byte{0, 1, 0xff}, Value: []byte("x")},
			want: map[string]string{"Ce-Key": base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}), "Ce-Partitionkey": "", "Content-Type": DefaultContentType},
		},
		{
			name: "key with a control character is not text",
			rec:  &kgo.Record{Topic: "t", Key: []byte("a\nb")},
			want: map[string]string{"Ce-Key": base64.StdEncoding.EncodeToString([]byte("a\nb")), "Ce-Partitionkey": ""},
		},
		{
			name: "unicode key is percent-encoded",
			rec:  &kgo.Record{Topic: "t", Key: []byte("é\"%")},
			want: map[string]string{"Ce-Partitionkey": "%C3%A9%22%25"},
		},
		{
			name: "hostile headers are dropped",
			rec: &kgo.Record{Topic: "t", Headers: []kgo.RecordHeader{
				hdr("evil", "a\r\nX-Injected: 1"), hdr("bin", "\x00\x01"), hdr("---", "no name left"),
				hdr("content-type", "not a media type;;;"), hdr("big", strings.Repeat("v", maxHeaderValueBytes+1)),
				hdr(strings.Repeat("n", maxHeaderNameBytes+1), "long name"),
			}},
			want: map[string]string{"Ce-Kafkaheaderevil": "", "Ce-Kafkaheaderbin": "", "Ce-Kafkaheader": "", "X-Injected": "",
				"Content-Type": DefaultContentType, "Ce-Kafkaheaderbig": "", "Ce-Time": ""},
		},
		{
			name: "first header of a name wins",
			rec:  &kgo.Record{Topic: "t", Headers: []kgo.RecordHeader{hdr("a-b", "1"), hdr("ab", "2"), hdr("content-type", "text/plain"), hdr("content-type", "image/png")}},
			want: map[string]string{"Ce-Kafkaheaderab": "1", "Content-Type": "text/plain"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := makeEvent("team-a/orders", tc.rec)
			h := http.Header{}
			e.setBinaryHeaders(h)
			for k, v := range tc.want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			for k, vs := range h {
				for _, v := range vs {
					if strings.ContainsAny(v, "\r\n\x00") {
						t.Errorf("header %s has a control character: %q", k, v)
					}
				}
			}
		})
	}
}

func TestHeaderBounds(t *testing.T) {
	rec := &kgo.Record{Topic: "t"}
	for i := range 100 {
		rec.Headers = append(rec.Headers, hdr("h"+strings.Repeat("x", i%30)+string(rune('a'+i%26))+string(rune('a'+i/26)), strings.Repeat("v", 1000)))
	}
	e := makeEvent("n", rec)
	total := 0
	for _, x := range e.exts {
		total += len(x.name) + len(x.value)
	}
	if len(e.exts) > maxKafkaHeaders || total > maxHeaderBytesTotal {
		t.Fatalf("%d headers, %d bytes: over the bounds", len(e.exts), total)
	}
	if len(e.exts) == 0 {
		t.Fatal("no header sent")
	}
}

func TestStructured(t *testing.T) {
	recs := []*kgo.Record{
		{Topic: "t", Partition: 1, Offset: 5, Key: []byte("k"), Value: []byte(`{"n":1}`), Headers: []kgo.RecordHeader{hdr("content-type", "application/cloudevents+json; charset=utf-8")}},
		{Topic: "t", Partition: 1, Offset: 6, Value: []byte("hello"), Headers: []kgo.RecordHeader{hdr("content-type", "text/plain")}},
		{Topic: "t", Partition: 1, Offset: 7, Key: []byte{0xff}, Value: []byte{0, 1, 2}},
		{Topic: "t", Partition: 1, Offset: 8, Value: nil},                                                                                       // tombstone
		{Topic: "t", Partition: 1, Offset: 9, Value: []byte("{not json"), Headers: []kgo.RecordHeader{hdr("content-type", "application/json")}}, // lies
	}
	body, err := batchBody("n", recs)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not a JSON array: %v\n%s", err, body)
	}
	want := []map[string]any{
		{"specversion": "1.0", "id": "t-1-5", "source": "kafka://n/t", "type": EventType, "subject": "1/5",
			"datacontenttype": "application/cloudevents+json; charset=utf-8", "partitionkey": "k", "data": map[string]any{"n": 1.0}},
		{"specversion": "1.0", "id": "t-1-6", "source": "kafka://n/t", "type": EventType, "subject": "1/6",
			"datacontenttype": "text/plain", "data": "hello"},
		{"specversion": "1.0", "id": "t-1-7", "source": "kafka://n/t", "type": EventType, "subject": "1/7",
			"datacontenttype": DefaultContentType, "key": "/w==", "data_base64": "AAEC"},
		{"specversion": "1.0", "id": "t-1-8", "source": "kafka://n/t", "type": EventType, "subject": "1/8",
			"datacontenttype": DefaultContentType},
		{"specversion": "1.0", "id": "t-1-9", "source": "kafka://n/t", "type": EventType, "subject": "1/9",
			"datacontenttype": "application/json", "data_base64": base64.StdEncoding.EncodeToString([]byte("{not json"))},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("batch (-want +got):\n%s", d)
	}
}

func TestPctEncode(t *testing.T) {
	for in, want := range map[string]string{
		"plain-text_1.2": "plain-text_1.2",
		"a b":            "a%20b",
		"100%":           "100%25",
		`"q"`:            "%22q%22",
		"ü":              "%C3%BC",
		"\x7f":           "%7F",
	} {
		if got := pctEncode(in); got != want {
			t.Errorf("pctEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequest(t *testing.T) {
	c, err := New(Config{Name: "ns/trig", Brokers: []string{"b:9092"}, Topics: []string{"t"}, Group: "g", URL: "http://activator.example/", Host: "fn.example"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.request(context.Background(), []*kgo.Record{{Topic: "t", Value: []byte("body")}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.Host != "fn.example" || string(b) != "body" || req.URL.String() != "http://activator.example/" {
		t.Fatalf("request %s %s host %q body %q", req.Method, req.URL, req.Host, b)
	}
	c.cfg.MaxBatch = 2
	req, err = c.request(context.Background(), []*kgo.Record{{Topic: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if ct := req.Header.Get("Content-Type"); ct != BatchContentType || req.Header.Get("Ce-Id") != "" {
		t.Fatalf("batch request: Content-Type %q, Ce-Id %q", ct, req.Header.Get("Ce-Id"))
	}
}
