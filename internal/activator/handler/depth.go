package handler

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// ThrottlerDepth adapts the throttler's per-revision stats to the metrics'
// queue depth and in-flight gauges (metrics.Options.Depth).
func ThrottlerDepth(th *throttler.Throttler) metrics.DepthFunc {
	return func(f func(key types.NamespacedName, queued, inflight int)) {
		th.RangeStats(func(k throttler.RevisionKey, s throttler.RevisionStats) { f(k, s.Queued, s.InFlight) })
	}
}
