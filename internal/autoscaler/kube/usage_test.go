package kube

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/testutil"
)

// TestStatsOptionIsFilled: the stats activators push land in the collector
// Options.Stats names, so that the TenantPolicy reconciler reads each
// namespace's requests in flight from it (collector.Usage), as
// cmd/controller wires it.
func TestStatsOptionIsFilled(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := types.NamespacedName{Namespace: ns, Name: "usage-00001"}
	createRevision(t, c, ns, key.Name, nil, 0)
	stats := collector.New(0)
	s := startStack(t, stackOptions{namespace: ns, tickInterval: time.Hour, stats: stats})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	usage := collector.Usage{Collector: stats, Clock: clock.RealClock{}}
	dial(t, s).poke(key)
	testutil.Eventually(t, wait, "the poke counts as one request in flight", func(context.Context) error {
		if got := usage.InFlight(ns); got != 1 {
			return fmt.Errorf("in flight %v, want 1", got)
		}
		return nil
	})
}
