package delivery

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/testutil"
)

// TestDeliverBinary delivers messages of three partitions one per request
// and commits them all.
func TestDeliverBinary(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	recs := keyed(30)
	recs[0].Headers = []kgo.RecordHeader{hdr("content-type", "application/json"), hdr("trace-id", "abc")}
	recs[0].Value = []byte(`{"x":1}`)
	produce(t, cl, recs...)

	srv := newServer(t, nil)
	cfg := config(t, addrs, srv.URL)
	cfg.Host = "fn.ns.example"
	c, _ := run(t, cfg)

	want := ids(recs)
	testutil.Eventually(t, waitFor, "every message delivered", func() bool { return len(srv.delivered()) == len(want) })
	if d := cmp.Diff(want, srv.delivered()); d != "" {
		t.Fatalf("delivered ids (-want +got):\n%s", d)
	}
	var first *request
	for _, r := range srv.requests() {
		if r.id == eventID(recs[0]) {
			first = &r
		}
	}
	for k, v := range map[string]string{
		"Host": "fn.ns.example", "Content-Type": "application/json", "Ce-Specversion": "1.0",
		"Ce-Type": EventType, "Ce-Source": "kafka://ns/trigger/t", "Ce-Partitionkey": "k0",
		"Ce-Subject": "0/0", "Ce-Kafkaheadertraceid": "abc",
	} {
		if k == "Ce-Subject" {
			v = subject(recs[0])
		}
		if got := first.header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, first.header.Get("Ce-Time")); err != nil {
		t.Errorf("Ce-Time %q: %v", first.header.Get("Ce-Time"), err)
	}
	if string(first.body) != `{"x":1}` {
		t.Errorf("body %q", first.body)
	}
	waitCommittedToEnd(t, cl)
	testutil.Eventually(t, waitFor, "status settles", statusIs(c, "all delivered, no backlog", func(s Status) bool {
		return s.Delivered == 30 && s.Backlog == 0 && s.InFlight == 0 && s.Joined && len(s.Assigned) == 3 &&
			s.BrokerReachable && s.DeliveryError == "" && len(s.MissingTopics) == 0
	}))
}

func subject(r *kgo.Record) string {
	e := makeEvent("", r)
	return e.subject
}

// TestDeliverBatch sends up to MaxBatch messages of one partition per
// request, as a CloudEvents JSON batch.
func TestDeliverBatch(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	recs := produce(t, cl, keyed(40)...)

	type ev struct {
		ID, Subject, Source string
		DataBase64          string `json:"data_base64"`
	}
	seen := map[string]int{}
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		if ct := r.header.Get("Content-Type"); ct != BatchContentType {
			t.Errorf("Content-Type %q", ct)
		}
		var evs []ev
		if err := json.Unmarshal(r.body, &evs); err != nil {
			t.Errorf("batch body: %v", err)
		}
		if len(evs) == 0 || len(evs) > 4 {
			t.Errorf("batch of %d events, want 1 to 4", len(evs))
		}
		return http.StatusOK
	})
	cfg := config(t, addrs, srv.URL)
	cfg.MaxBatch = 4
	run(t, cfg)
	waitCommittedToEnd(t, cl)
	var batches int
	for _, r := range srv.requests() {
		var evs []ev
		_ = json.Unmarshal(r.body, &evs)
		batches++
		part := ""
		for _, e := range evs {
			seen[e.ID]++
			p := e.Subject[:1]
			if part != "" && p != part {
				t.Errorf("a batch mixes partitions: %+v", evs)
			}
			part = p
		}
	}
	for _, id := range ids(recs) {
		if seen[id] == 0 {
			t.Errorf("%s never delivered", id)
		}
	}
	t.Logf("%d messages in %d requests", len(recs), batches)
}
