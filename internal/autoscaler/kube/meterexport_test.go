package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/autoscaler/meterrecords"
	wakeconfig "github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/metering/sink"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// TestMeterExporter: the leader's exporter posts the aggregator's records
// to the webhook wake-config names, signed with the key of the Secret in
// the system namespace (read from the API server); when wake-config moves
// the records to a JSON lines file instead, the records that come next go
// there; and what is handed over before it stops is delivered.
func TestMeterExporter(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := []byte("0123456789abcdef0123456789abcdef")
	if err := c.Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "billing"},
		Data: map[string][]byte{WebhookKey: key}}); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		got []metering.Event
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := sink.Verify(key, r.Header.Get(sink.SignatureHeader), body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var batch []metering.Event
		if err := json.Unmarshal(body, &batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, batch...)
		mu.Unlock()
	}))
	defer hook.Close()

	store := wakeconfig.NewStore()
	if err := store.Update(map[string]string{wakeconfig.KeyMeteringWebhookURL: hook.URL, wakeconfig.KeyMeteringWebhookSecret: "billing"}); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-time.Hour).Truncate(time.Minute)
	agg := meterrecords.New(meterrecords.Options{Started: started})
	// finalize makes one record of n requests in the window starting at
	// start.
	finalize := func(start time.Time, n int64) {
		agg.Apply("act", &statwire.Metering{Epoch: 1, Mode: metering.ModeRequest, WindowMillis: 60000,
			Entries: []statwire.MeterEntry{{Namespace: "team-a", Revision: "api-00001", Start: start.UnixMilli(), Requests: n, Units: n}}})
		agg.Tick(start.Add(time.Minute + meterrecords.DefaultSettle))
	}
	x := &meterExporter{agg: agg, store: store, reader: c, namespace: ns, clk: clock.RealClock{}, metrics: sink.NewMetrics(nil), log: testr.New(t)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- x.Start(ctx) }()

	finalize(started.Add(time.Minute), 3)
	testutil.Eventually(t, wait, "the webhook gets the first record", func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0].Data.Requests != 3 || got[0].Type != metering.EventType {
			return fmt.Errorf("webhook has %+v", got)
		}
		return nil
	})

	path := filepath.Join(t.TempDir(), "usage.jsonl")
	if err := store.Update(map[string]string{wakeconfig.KeyMeteringJSONLines: path, wakeconfig.KeyMeteringWebhookURL: ""}); err != nil {
		t.Fatal(err)
	}
	// The change reaches the exporter within its tick; a record finalized
	// before may still go to the webhook, so wait for the file to exist.
	testutil.Eventually(t, wait, "the JSON lines sink opened", func(context.Context) error {
		_, err := os.Stat(path)
		return err
	})
	finalize(started.Add(2*time.Minute), 5)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var lines []metering.Event
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var ev metering.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, ev)
	}
	if len(lines) != 1 || lines[0].Data.Requests != 5 || lines[0].ID != metering.RecordID(lines[0].Data.Key, started.Add(2*time.Minute)) {
		t.Fatalf("JSON lines %+v, want the second record only", lines)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Errorf("the webhook got %d records after it was removed from wake-config", len(got)-1)
	}
}
