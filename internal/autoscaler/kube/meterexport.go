package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/autoscaler/meterrecords"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/metering/sink"
)

// WebhookKey is the key of the metering webhook's Secret that holds the
// HMAC key.
const WebhookKey = "hmac-key"

// ExportFlushTimeout bounds how long a stopping leader tries to deliver
// the records it holds.
const ExportFlushTimeout = 10 * time.Second

// meterExporter runs on the leader: it builds the sinks wake-config names
// when it starts, then every second hands them the aggregator's new
// records (first those the aggregator retains, which a leader before it
// may have exported already: consumers deduplicate by ID). When it stops
// it hands them the last records and flushes.
type meterExporter struct {
	agg       *meterrecords.Aggregator
	store     *config.Store
	reader    client.Reader // reads the webhook's Secret
	namespace string        // Wake's, where the Secret is
	clk       clock.WithTicker
	metrics   *sink.Metrics
	log       logr.Logger

	mu        sync.Mutex
	exporters []*sink.Exporter // the running ones, for Dropped
}

// NeedLeaderElection is true: only the leader exports.
func (*meterExporter) NeedLeaderElection() bool { return true }

// Start exports until ctx ends, then flushes.
func (x *meterExporter) Start(ctx context.Context) error {
	exps := x.build(ctx)
	if len(exps) == 0 {
		return nil
	}
	x.mu.Lock()
	x.exporters = exps
	x.mu.Unlock()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, e := range exps {
		wg.Go(func() { e.Run(runCtx) })
	}
	var seq uint64
	hand := func() {
		var recs []metering.Record
		recs, seq = x.agg.Since(seq)
		if len(recs) == 0 {
			return
		}
		evs := make([]metering.Event, len(recs))
		for i, r := range recs {
			evs[i] = metering.EventOf(r)
		}
		for _, e := range exps {
			e.Add(evs...)
		}
	}
	tick := x.clk.NewTicker(time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C():
		}
		hand()
	}
	stop()
	wg.Wait()
	fctx, cancel := context.WithTimeout(context.Background(), ExportFlushTimeout)
	defer cancel()
	for _, e := range exps {
		if err := e.Flush(fctx); err != nil {
			x.log.Error(err, "usage records not all delivered before stopping; the next leader exports the retained ones again")
		}
	}
	return nil
}

// build returns an exporter for each sink wake-config names; a sink that
// cannot be built is logged and left out.
func (x *meterExporter) build(ctx context.Context) []*sink.Exporter {
	m := x.store.Load().Metering
	var sinks []sink.Sink
	if m.JSONLines != "" {
		if j, err := sink.OpenJSONLines(m.JSONLines); err != nil {
			x.log.Error(err, "metering JSON lines sink not started", "path", m.JSONLines)
		} else {
			sinks = append(sinks, j)
		}
	}
	if m.WebhookURL != "" {
		if w, err := x.webhook(ctx, m); err != nil {
			x.log.Error(err, "metering webhook sink not started", "url", m.WebhookURL)
		} else {
			sinks = append(sinks, w)
		}
	}
	exps := make([]*sink.Exporter, 0, len(sinks))
	for _, s := range sinks {
		x.log.Info("exporting usage records", "sink", s.Name())
		exps = append(exps, sink.NewExporter(sink.ExporterOptions{Sink: s, Clock: x.clk, Metrics: x.metrics, Log: x.log.WithValues("sink", s.Name())}))
	}
	return exps
}

// webhook builds the webhook sink, with the key from its Secret.
func (x *meterExporter) webhook(ctx context.Context, m config.Metering) (*sink.Webhook, error) {
	var s corev1.Secret
	if err := x.reader.Get(ctx, types.NamespacedName{Namespace: x.namespace, Name: m.WebhookSecret}, &s); err != nil {
		return nil, fmt.Errorf("read Secret %s/%s: %w", x.namespace, m.WebhookSecret, err)
	}
	key := s.Data[WebhookKey]
	if len(key) == 0 {
		return nil, errors.New("Secret " + x.namespace + "/" + m.WebhookSecret + " has no " + WebhookKey)
	}
	return sink.NewWebhook(sink.WebhookOptions{URL: m.WebhookURL, Key: key})
}
