package delivery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/testutil"
)

// waitFor is how long a test waits for a condition.
const waitFor = 20 * time.Second

// cluster is an in-process Kafka with a topic "t" of 3 partitions unless
// opts say otherwise.
func cluster(t *testing.T, opts ...kfake.Opt) []string {
	t.Helper()
	if len(opts) == 0 {
		opts = []kfake.Opt{kfake.SeedTopics(3, "t")}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// kfakeTopic seeds topic "t" with n partitions.
func kfakeTopic(n int32) kfake.Opt { return kfake.SeedTopics(n, "t") }

// client is a plain kgo client of the cluster, for producing and checking.
func client(t *testing.T, addrs []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...), kgo.ProducerLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce produces recs (topic "t" when unset) and returns them with their
// offsets.
func produce(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) []*kgo.Record {
	t.Helper()
	for _, r := range recs {
		if r.Topic == "" {
			r.Topic = "t"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// keyed are n records with keys "k0".."k<n-1>" and values "v0"...
func keyed(n int) []*kgo.Record {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v" + strconv.Itoa(i))}
	}
	return recs
}

// ids are the ce-ids of recs.
func ids(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = eventID(r)
	}
	slices.Sort(out)
	return out
}

// request is what the server saw of one request.
type request struct {
	header http.Header
	body   []byte
	id     string // ce-id, "" in batch mode
}

// server records requests and answers them with respond (nil: 200).
type server struct {
	*httptest.Server
	mu        sync.Mutex
	reqs      []request
	tries     map[string]int // attempts per ce-id
	ok        map[string]int // 2xx answers per ce-id
	active    int
	maxActive int
	respond   func(r *request, w http.ResponseWriter) int
}

func newServer(t *testing.T, respond func(r *request, w http.ResponseWriter) int) *server {
	s := &server{tries: map[string]int{}, ok: map[string]int{}, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, _ := io.ReadAll(hr.Body)
		r := request{header: hr.Header.Clone(), body: body, id: hr.Header.Get("Ce-Id")}
		r.header.Set("Host", hr.Host)
		s.mu.Lock()
		s.active++
		s.maxActive = max(s.maxActive, s.active)
		s.tries[r.id]++
		s.mu.Unlock()
		code := http.StatusOK
		if s.respond != nil {
			code = s.respond(&r, w)
		}
		s.mu.Lock()
		s.active--
		s.reqs = append(s.reqs, r)
		if code/100 == 2 {
			s.ok[r.id]++
		}
		s.mu.Unlock()
		if code != 0 {
			w.WriteHeader(code)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// delivered are the ce-ids answered 2xx, each once, sorted.
func (s *server) delivered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.ok {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func (s *server) triesOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries[id]
}

// config is a consumer of "t" in group "g" delivering to url, with short
// backoffs and intervals.
func config(t *testing.T, addrs []string, url string) Config {
	return Config{
		Name: "ns/trigger", Brokers: addrs, Topics: []string{"t"}, Group: "g", StartAtEarliest: true,
		URL: url, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Timeout: 5 * time.Second,
		CommitInterval: 50 * time.Millisecond, StatusInterval: 100 * time.Millisecond,
		ClientOpts: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond), kgo.HeartbeatInterval(100 * time.Millisecond)},
		Log:        testLog(t),
	}
}

// testLog logs to t when DELIVERY_TEST_LOG is set.
func testLog(t *testing.T) logr.Logger {
	if v, _ := strconv.Atoi(os.Getenv("DELIVERY_TEST_LOG")); v > 0 {
		return testr.NewWithOptions(t, testr.Options{Verbosity: v - 1})
	}
	return logr.Discard()
}

// run starts a consumer of cfg; stop ends it and waits for Run to
// return. The test's end stops it too.
func run(t *testing.T, cfg Config) (c *Consumer, stop func()) {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitFor):
				t.Errorf("Run did not return within %s of its context's end", waitFor)
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

// committed is group g's committed offsets of topic t, by partition.
func committed(t *testing.T, cl *kgo.Client) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	out := map[int32]int64{}
	offs, err := kadm.NewClient(cl).FetchOffsets(ctx, "g")
	if err != nil {
		return out // e.g. the group does not exist yet
	}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == "t" && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// ends are topic t's end offsets, by partition.
func ends(t *testing.T, cl *kgo.Client) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	l, err := kadm.NewClient(cl).ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	l.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// waitCommittedToEnd waits until group g committed topic t to its end.
func waitCommittedToEnd(t *testing.T, cl *kgo.Client) {
	t.Helper()
	want := ends(t, cl)
	testutil.Eventually(t, waitFor, "committed to the end", func(context.Context) error {
		got := committed(t, cl)
		for p, end := range want {
			if end > 0 && got[p] != end {
				return fmt.Errorf("committed %v, want %v", got, want)
			}
		}
		return nil
	})
}

// consume reads n records of topic from the start, with a plain consumer.
func consume(t *testing.T, addrs []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := client(t, addrs, kgo.ConsumeTopics(topic), kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records of %s", len(out), n, topic)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func header(r *kgo.Record, k string) string {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

func statusIs(c *Consumer, what string, ok func(Status) bool) func(context.Context) error {
	return func(context.Context) error {
		if s := c.Status(); !ok(s) {
			return fmt.Errorf("%s: status %+v", what, s)
		}
		return nil
	}
}
