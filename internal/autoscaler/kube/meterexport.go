package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// meterExporter runs on the leader: it runs the sinks wake-config names
// (built again when those keys change), and every second hands them the
// aggregator's new records (when it starts, first those the aggregator
// retains, which a leader before it may have exported already: consumers
// deduplicate by ID). When it stops it hands them the last records and
// flushes.
type meterExporter struct {
	agg       *meterrecords.Aggregator
	store     *config.Store
	reader    client.Reader // reads the webhook's Secret
	namespace string        // Wake's, where the Secret is
	clk       clock.WithTicker
	metrics   *sink.Metrics
	log       logr.Logger
}

// NeedLeaderElection is true: only the leader exports.
func (*meterExporter) NeedLeaderElection() bool { return true }

// sinkKeys are the keys of wake-config that name the sinks.
type sinkKeys struct{ jsonLines, url, secret string }

func sinkKeysOf(m config.Metering) sinkKeys {
	return sinkKeys{jsonLines: m.JSONLines, url: m.WebhookURL, secret: m.WebhookSecret}
}

// running is the exporters of one sink configuration.
type running struct {
	keys sinkKeys
	exps []*sink.Exporter
	// closers are the sinks to close once flushed (an open file).
	closers []io.Closer
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// Start exports until ctx ends, then flushes.
func (x *meterExporter) Start(ctx context.Context) error {
	cur := x.start(ctx)
	var seq uint64
	tick := x.clk.NewTicker(time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C():
			if keys := sinkKeysOf(x.store.Load().Metering); keys != cur.keys {
				x.log.Info("metering sinks changed in wake-config; restarting them")
				x.finish(cur)
				cur = x.start(ctx)
			}
		}
		var recs []metering.Record
		if recs, seq = x.agg.Since(seq); len(recs) > 0 {
			evs := make([]metering.Event, len(recs))
			for i, r := range recs {
				evs[i] = metering.EventOf(r)
			}
			for _, e := range cur.exps {
				e.Add(evs...)
			}
		}
	}
	x.finish(cur)
	return nil
}

// start builds and runs the exporters of wake-config's sinks.
func (x *meterExporter) start(ctx context.Context) *running {
	r := &running{keys: sinkKeysOf(x.store.Load().Metering)}
	r.exps, r.closers = x.build(ctx)
	var rctx context.Context
	rctx, r.stop = context.WithCancel(ctx)
	for _, e := range r.exps {
		r.wg.Go(func() { e.Run(rctx) })
	}
	return r
}

// finish stops r's exporters and delivers what they hold, within
// ExportFlushTimeout.
func (x *meterExporter) finish(r *running) {
	r.stop()
	r.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), ExportFlushTimeout)
	defer cancel()
	for _, e := range r.exps {
		if err := e.Flush(ctx); err != nil {
			x.log.Error(err, "usage records not all delivered; a leader after this one exports the retained ones again")
		}
	}
	for _, c := range r.closers {
		if err := c.Close(); err != nil {
			x.log.Error(err, "close metering sink")
		}
	}
}

// build returns an exporter for each sink wake-config names, and the sinks
// to close after; a sink that cannot be built is logged and left out.
func (x *meterExporter) build(ctx context.Context) ([]*sink.Exporter, []io.Closer) {
	m := x.store.Load().Metering
	var (
		sinks   []sink.Sink
		closers []io.Closer
	)
	if m.JSONLines != "" {
		if j, err := sink.OpenJSONLines(m.JSONLines); err != nil {
			x.log.Error(err, "metering JSON lines sink not started", "path", m.JSONLines)
		} else {
			sinks, closers = append(sinks, j), append(closers, j)
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
	return exps, closers
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
