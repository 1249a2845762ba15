package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testTimeout bounds each test's conversation with its brokers.
const testTimeout = 15 * time.Second

// startBroker starts a broker on a free loopback port and stops it when the
// test ends.
func startBroker(t *testing.T, o Options) *Broker {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	o.Log = testr.New(t)
	b, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// newClient returns a client of b, closed when the test ends.
func newClient(t *testing.T, b *Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr())}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consume polls cl until it has n records and returns them as
// "partition/offset" → value.
func consume(ctx context.Context, t *testing.T, cl *kgo.Client, n int) map[string]string {
	t.Helper()
	got := make(map[string]string)
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(got), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s/%d: %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			got[fmt.Sprintf("%d/%d", r.Partition, r.Offset)] = string(r.Value)
		})
	}
	if len(got) != n {
		t.Fatalf("consumed %d records, want %d", len(got), n)
	}
	return got
}

// The data the restart tests write and expect back: a 3-partition topic
// with perPartition records in each partition, and a group that committed
// the first committed records of each.
const (
	restartTopic = "events"
	restartGroup = "wake-dispatcher"
	partitions   = 3
	perPartition = 10
	committed    = 4
)

// wantRecords returns the records fill produces, as "partition/offset" →
// value.
func wantRecords() map[string]string {
	want := make(map[string]string)
	for i := range partitions * perPartition {
		want[fmt.Sprintf("%d/%d", i%partitions, i/partitions)] = fmt.Sprintf("record %d", i)
	}
	return want
}

// fill produces wantRecords to b, consumes them in restartGroup and commits
// the first committed records of each partition.
func fill(ctx context.Context, t *testing.T, b *Broker) {
	t.Helper()
	producer := newClient(t, b, kgo.DefaultProduceTopic(restartTopic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var records []*kgo.Record
	for i := range partitions * perPartition {
		records = append(records, &kgo.Record{Partition: int32(i % partitions), Value: fmt.Appendf(nil, "record %d", i)})
	}
	if err := producer.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	consumer := newClient(t, b, kgo.ConsumerGroup(restartGroup), kgo.ConsumeTopics(restartTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if got, want := consume(ctx, t, consumer, partitions*perPartition), wantRecords(); !cmp.Equal(got, want) {
		t.Fatalf("consumed records (-got +want):\n%s", cmp.Diff(got, want))
	}
	var toCommit []*kgo.Record
	for p := range int32(partitions) {
		toCommit = append(toCommit, &kgo.Record{Topic: restartTopic, Partition: p, Offset: committed - 1, LeaderEpoch: -1})
	}
	if err := consumer.CommitRecords(ctx, toCommit...); err != nil {
		t.Fatalf("commit: %v", err)
	}
	consumer.Close()
	producer.Close()
}

// checkFilled checks that b, started on the data folder of a broker that
// fill wrote to with also "later" in its Topics, has the topics, every
// record and the group's offsets, and that the group resumes where it
// committed.
func checkFilled(ctx context.Context, t *testing.T, b *Broker) {
	t.Helper()
	admin := kadm.NewClient(newClient(t, b))
	topics, err := admin.ListTopics(ctx)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	gotTopics := make(map[string]int)
	for _, td := range topics.Sorted() {
		gotTopics[td.Topic] = len(td.Partitions)
	}
	if diff := cmp.Diff(map[string]int{restartTopic: partitions, "later": DefaultPartitions}, gotTopics); diff != "" {
		t.Errorf("topics and their partitions after the restart (-want +got):\n%s", diff)
	}
	ends, err := admin.ListEndOffsets(ctx, restartTopic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets: %v, %v", err, ends.Error())
	}
	offsets, err := admin.FetchOffsets(ctx, restartGroup)
	if err != nil || offsets.Error() != nil {
		t.Fatalf("fetch offsets of %s: %v, %v", restartGroup, err, offsets.Error())
	}
	for p := range int32(partitions) {
		if end, _ := ends.Lookup(restartTopic, p); end.Offset != perPartition {
			t.Errorf("partition %d ends at %d after the restart, want %d", p, end.Offset, perPartition)
		}
		if o, ok := offsets.Lookup(restartTopic, p); !ok || o.At != committed {
			t.Errorf("group %s's offset of partition %d after the restart = %d (found %v), want %d", restartGroup, p, o.At, ok, committed)
		}
	}

	all := newClient(t, b, kgo.ConsumeTopics(restartTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got, want := consume(ctx, t, all, partitions*perPartition), wantRecords(); !cmp.Equal(got, want) {
		t.Errorf("records after the restart (-got +want):\n%s", cmp.Diff(got, want))
	}

	resumed := newClient(t, b, kgo.ConsumerGroup(restartGroup), kgo.ConsumeTopics(restartTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	var again []string
	for k := range consume(ctx, t, resumed, partitions*(perPartition-committed)) {
		var p, off int
		if _, err := fmt.Sscanf(k, "%d/%d", &p, &off); err != nil {
			t.Fatal(err)
		}
		if off < committed {
			again = append(again, k)
		}
	}
	sort.Strings(again)
	if len(again) > 0 {
		t.Errorf("the group got records before its committed offsets again: %v", again)
	}
}

// TestRestartKeepsRecordsAndOffsets stops a broker after fill and starts
// another on the same data folder, on a new port and with one more topic to
// create: everything is there.
func TestRestartKeepsRecordsAndOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	dir := t.TempDir()
	b1, err := Start(Options{Listen: "127.0.0.1:0", DataDir: dir, Topics: []string{restartTopic}, Log: testr.New(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	fill(ctx, t, b1)
	if err := b1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkFilled(ctx, t, startBroker(t, Options{DataDir: dir, Topics: []string{restartTopic, "later"}}))
}

// TestCrashKeepsRecordsAndOffsets copies the data folder of a running
// broker after fill, which is what a killed broker (SIGKILL after the
// grace period, the OOM killer) leaves on its node, and starts a broker on
// the copy: everything acknowledged is there, although the first broker
// never wrote its state at a stop.
func TestCrashKeepsRecordsAndOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	b1 := startBroker(t, Options{DataDir: t.TempDir(), Topics: []string{restartTopic}})
	fill(ctx, t, b1)
	crashed := filepath.Join(t.TempDir(), "crashed")
	if err := os.CopyFS(crashed, os.DirFS(b1.dataDir)); err != nil {
		t.Fatalf("copy the data folder: %v", err)
	}
	checkFilled(ctx, t, startBroker(t, Options{DataDir: crashed, Topics: []string{restartTopic, "later"}}))
}

// TestAutoCreateTopics asks for the metadata of a missing topic with
// auto-creation allowed: the broker creates it with the configured
// partitions, or answers that it does not exist when auto-creation is off.
func TestAutoCreateTopics(t *testing.T) {
	tests := []struct {
		name           string
		autoCreate     bool
		partitions     int
		wantPartitions int
		wantErr        error
	}{
		{name: "configured partitions", autoCreate: true, partitions: 5, wantPartitions: 5},
		{name: "default partitions", autoCreate: true, wantPartitions: DefaultPartitions},
		{name: "off", autoCreate: false, partitions: 5, wantErr: kerr.UnknownTopicOrPartition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			b := startBroker(t, Options{AutoCreateTopics: tt.autoCreate, Partitions: tt.partitions})
			req := kmsg.NewPtrMetadataRequest()
			req.AllowAutoTopicCreation = true
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr("auto")
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctx, newClient(t, b))
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			if len(resp.Topics) != 1 {
				t.Fatalf("metadata has %d topics, want 1", len(resp.Topics))
			}
			mt := resp.Topics[0]
			if err := kerr.ErrorForCode(mt.ErrorCode); !errors.Is(err, tt.wantErr) {
				t.Fatalf("topic error = %v, want %v", err, tt.wantErr)
			}
			if len(mt.Partitions) != tt.wantPartitions {
				t.Errorf("auto-created topic has %d partitions, want %d", len(mt.Partitions), tt.wantPartitions)
			}
		})
	}
}

// TestAdvertisedAddress checks that the broker tells clients the advertised
// address, not the one it listens on, wherever Kafka names a broker.
func TestAdvertisedAddress(t *testing.T) {
	const advertise = "wake-broker-0.wake-broker.wake-system.svc:9092"
	tests := []struct {
		name      string
		advertise string
		wantHost  string
		wantPort  int32
	}{
		{name: "given", advertise: advertise, wantHost: "wake-broker-0.wake-broker.wake-system.svc", wantPort: 9092},
		{name: "default: the listen address", wantHost: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			b := startBroker(t, Options{Advertise: tt.advertise, Topics: []string{"t"}})
			wantPort := tt.wantPort
			if wantPort == 0 {
				var port int
				if _, err := fmt.Sscanf(b.Addr(), "127.0.0.1:%d", &port); err != nil {
					t.Fatalf("Addr() = %q: %v", b.Addr(), err)
				}
				wantPort = int32(port)
			}
			if want := fmt.Sprintf("%s:%d", tt.wantHost, wantPort); b.AdvertisedAddr() != want {
				t.Errorf("AdvertisedAddr() = %q, want %q", b.AdvertisedAddr(), want)
			}
			// Ask the seed broker directly: the client must not dial the
			// advertised name, which does not resolve here.
			seed := newClient(t, b).SeedBrokers()[0]

			meta, err := seed.Request(ctx, kmsg.NewPtrMetadataRequest())
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			brokers := meta.(*kmsg.MetadataResponse).Brokers
			if len(brokers) != 1 || brokers[0].Host != tt.wantHost || brokers[0].Port != wantPort {
				t.Errorf("metadata brokers = %+v, want one at %s:%d", brokers, tt.wantHost, wantPort)
			}

			fc := kmsg.NewPtrFindCoordinatorRequest()
			fc.CoordinatorKey = "g"
			fc.CoordinatorKeys = []string{"g"}
			resp, err := seed.Request(ctx, fc)
			if err != nil {
				t.Fatalf("find coordinator: %v", err)
			}
			fcr := resp.(*kmsg.FindCoordinatorResponse)
			host, port := fcr.Host, fcr.Port
			if len(fcr.Coordinators) > 0 {
				host, port = fcr.Coordinators[0].Host, fcr.Coordinators[0].Port
			}
			if host != tt.wantHost || port != wantPort {
				t.Errorf("coordinator at %s:%d, want %s:%d", host, port, tt.wantHost, wantPort)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	long := make([]byte, maxTopicLen+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name    string
		o       Options
		wantErr string // empty: valid
	}{
		{name: "all interfaces with advertise", o: Options{Listen: ":9092", Advertise: "wake-broker-0.wake-broker.wake-system.svc:9092"}},
		{name: "loopback, free port", o: Options{Listen: "127.0.0.1:0"}},
		{name: "advertise another port", o: Options{Listen: ":9092", Advertise: "localhost:19092"}},
		{name: "IPv6", o: Options{Listen: "[::1]:9092", Advertise: "[fd00::1]:9092"}},
		{name: "topics and partitions", o: Options{Listen: "127.0.0.1:9092", Partitions: MaxPartitions, Topics: []string{"a", "b.c_d-E9"}}},
		{name: "listen empty", o: Options{}, wantErr: `-listen "": missing port in address`},
		{name: "listen without port", o: Options{Listen: "localhost"}, wantErr: `-listen "localhost": address localhost: missing port in address`},
		{name: "listen port not a number", o: Options{Listen: ":kafka"}, wantErr: `-listen ":kafka": port "kafka" is not a number from 0 to 65535`},
		{name: "listen port too big", o: Options{Listen: ":65536"}, wantErr: `-listen ":65536": port "65536" is not a number from 0 to 65535`},
		{name: "no host, no advertise", o: Options{Listen: ":9092"}, wantErr: `-advertise is required when -listen ":9092" names no host: clients would be told to connect to ":9092"`},
		{name: "unspecified host, no advertise", o: Options{Listen: "0.0.0.0:9092"}, wantErr: `-advertise is required when -listen "0.0.0.0:9092" names no host`},
		{name: "advertise without host", o: Options{Listen: ":9092", Advertise: ":9092"}, wantErr: `-advertise ":9092": missing host`},
		{name: "advertise unspecified", o: Options{Listen: ":9092", Advertise: "0.0.0.0:9092"}, wantErr: `-advertise "0.0.0.0:9092": 0.0.0.0 is not an address clients can connect to`},
		{name: "advertise port 0", o: Options{Listen: ":9092", Advertise: "broker:0"}, wantErr: `-advertise "broker:0": port 0 cannot be advertised`},
		{name: "advertise without port", o: Options{Listen: ":9092", Advertise: "broker"}, wantErr: `-advertise "broker": address broker: missing port in address`},
		{name: "negative partitions", o: Options{Listen: "127.0.0.1:0", Partitions: -1}, wantErr: "-partitions -1: must be between 1 and 1000 (0 means 3)"},
		{name: "too many partitions", o: Options{Listen: "127.0.0.1:0", Partitions: MaxPartitions + 1}, wantErr: "-partitions 1001: must be between 1 and 1000"},
		{name: "empty topic", o: Options{Listen: "127.0.0.1:0", Topics: []string{""}}, wantErr: `-topics: topic "": empty name`},
		{name: "topic ..", o: Options{Listen: "127.0.0.1:0", Topics: []string{".."}}, wantErr: `-topics: topic "..": "." and ".." are not allowed`},
		{name: "topic with a slash", o: Options{Listen: "127.0.0.1:0", Topics: []string{"ok", "a/b"}}, wantErr: `-topics: topic "a/b": character '/'`},
		{name: "topic too long", o: Options{Listen: "127.0.0.1:0", Topics: []string{string(long)}}, wantErr: "longer than 249 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaultAdvertise(t *testing.T) {
	tests := []struct {
		pod, service, listen, want string
	}{
		{"wake-broker-0", "wake-broker.wake-system.svc", ":9092", "wake-broker-0.wake-broker.wake-system.svc:9092"},
		{"wake-broker-0", "wake-broker.wake-system.svc.cluster.local.", "0.0.0.0:19092", "wake-broker-0.wake-broker.wake-system.svc.cluster.local:19092"},
		{"", "wake-broker.wake-system.svc", ":9092", ""},
		{"wake-broker-0", "", ":9092", ""},
		{"wake-broker-0", "wake-broker.wake-system.svc", "127.0.0.1:0", ""},
		{"wake-broker-0", "wake-broker.wake-system.svc", "nonsense", ""},
	}
	for _, tt := range tests {
		if got := DefaultAdvertise(tt.pod, tt.service, tt.listen); got != tt.want {
			t.Errorf("DefaultAdvertise(%q, %q, %q) = %q, want %q", tt.pod, tt.service, tt.listen, got, tt.want)
		}
	}
}

func TestParseTopics(t *testing.T) {
	tests := []struct {
		list string
		want []string
	}{
		{"", nil},
		{"events", []string{"events"}},
		{" a, b ,,c,", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		if got := ParseTopics(tt.list); !cmp.Equal(got, tt.want) {
			t.Errorf("ParseTopics(%q) = %q, want %q", tt.list, got, tt.want)
		}
	}
}

// TestRun runs a broker until its context ends: it stops cleanly and leaves
// its state in the data folder. Invalid options and an unusable data
// folder fail before it listens.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, Options{Listen: "127.0.0.1:0", DataDir: dir, Topics: []string{"events"}, Log: testr.New(t)}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err != nil {
		t.Errorf("no state in the data folder after Run: %v", err)
	}

	if err := Run(ctx, Options{Listen: "nonsense", Log: testr.New(t)}); err == nil || !strings.Contains(err.Error(), "-listen") {
		t.Errorf("Run with an invalid -listen = %v, want an error naming -listen", err)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Run(ctx, Options{Listen: "127.0.0.1:0", DataDir: file, Log: testr.New(t)})
	if err == nil || !strings.Contains(err.Error(), "-data-dir") {
		t.Errorf("Run on a data folder that is a file = %v, want an error naming -data-dir", err)
	}
}
