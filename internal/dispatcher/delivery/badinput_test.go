package delivery

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/testutil"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestUnreachableBroker: Status says the broker is unreachable and why;
// Run keeps trying and returns when its context ends.
func TestUnreachableBroker(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	cfg := config(t, []string{closedPort(t)}, srv.URL)
	c, stop := run(t, cfg)
	testutil.Eventually(t, waitFor, "the broker shown unreachable", statusIs(c, "unreachable", func(s Status) bool {
		return !s.BrokerReachable && strings.Contains(s.BrokerError, "connect") && !s.Joined
	}))
	start := time.Now()
	stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %s to return", d)
	}
}

// TestMissingTopic: Status lists a consumed topic the broker lacks; the
// other topics are delivered; once created, the topic is consumed too.
func TestMissingTopic(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	produce(t, cl, keyed(3)...)
	srv := newServer(t, nil)
	cfg := config(t, addrs, srv.URL)
	cfg.Topics = []string{"t", "later"}
	c, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "the topic shown missing", statusIs(c, "missing", func(s Status) bool {
		return s.BrokerReachable && slices.Equal(s.MissingTopics, []string{"later"})
	}))
	testutil.Eventually(t, waitFor, "the other topic delivered", func() bool { return len(srv.delivered()) == 3 })

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, "later"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, waitFor, "the new topic consumed", statusIs(c, "consuming later", func(s Status) bool {
		return len(s.MissingTopics) == 0 && len(s.Assigned) == 5
	}))
	produce(t, cl, &kgo.Record{Topic: "later", Value: []byte("late")})
	testutil.Eventually(t, waitFor, "the new topic delivered", func() bool { return len(srv.delivered()) == 4 })
}

// TestGarbage: records with huge or binary headers, binary keys, empty and
// nil values are delivered, and crash nothing.
func TestGarbage(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	huge := bytes.Repeat([]byte("x"), 200<<10)
	recs := produce(t, cl,
		&kgo.Record{Key: []byte{0, 0xff, '\n'}, Value: []byte{0xfe, 0}},
		&kgo.Record{Value: []byte{}},
		&kgo.Record{Key: []byte("tombstone"), Value: nil},
		&kgo.Record{Value: []byte("h"), Headers: []kgo.RecordHeader{
			{Key: "big", Value: huge}, {Key: "crlf", Value: []byte("a\r\nInjected: 1")}, {Key: string(huge[:5000]), Value: []byte("v")},
			{Key: "\x00\x01", Value: []byte{0}}, {Key: "content-type", Value: []byte("\r\n")}, {Key: "ok", Value: []byte("fine")},
		}},
		&kgo.Record{Key: huge, Value: huge},
	)
	var saw []request
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		saw = append(saw, *r)
		return 200
	})
	cfg := config(t, addrs, srv.URL)
	cfg.Ordered, cfg.MaxInFlight = true, 1 // one at a time: saw needs no lock
	run(t, cfg)
	waitCommittedToEnd(t, cl)
	if got, want := srv.delivered(), ids(recs); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for _, r := range saw {
		if r.header.Get("Injected") != "" || len(r.header.Get("Ce-Kafkaheaderbig")) > 0 {
			t.Errorf("hostile header passed: %v", r.header)
		}
		if r.id == eventID(recs[3]) && r.header.Get("Ce-Kafkaheaderok") != "fine" {
			t.Errorf("the sane header was dropped: %v", r.header)
		}
	}
}

// TestRunOnce: Run refuses a second call.
func TestRunOnce(t *testing.T) {
	t.Parallel()
	c, err := New(config(t, []string{closedPort(t)}, "http://127.0.0.1:1/"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run with an ended context: %v", err)
	}
	if err := c.Run(ctx); err == nil {
		t.Fatal("a second Run was accepted")
	}
}
