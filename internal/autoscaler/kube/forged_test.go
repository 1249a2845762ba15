package kube

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// TestForgedStatsScaleNothing replays the attack of issue 9 on the wired
// autoscaler: a process that reaches the stat port sends poke and load
// frames naming an idle revision, with no token or a made-up one. The
// revision stays at zero and the connections are refused and counted.
func TestForgedStatsScaleNothing(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	key := types.NamespacedName{Namespace: ns, Name: "victim-00001"}
	createRevision(t, c, ns, key.Name, nil, 0)
	s := startStack(t, stackOptions{namespace: ns, tickInterval: 100 * time.Millisecond})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	forged := []string{
		"",                  // frames only
		`{"token":"x.y.z"}`, // a made-up token
		`{"token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d2FrZS1zeXN0ZW06d2FrZS1hY3RpdmF0b3IifQ."}`, // unsigned
	}
	for _, first := range forged {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		if first != "" {
			_, _ = conn.Write([]byte(first + "\n"))
		}
		for i := range 8 {
			_ = statwire.Write(conn, statwire.Frame{Source: "act-forger", Stats: []statwire.Stat{
				{Namespace: key.Namespace, Revision: key.Name, AverageConcurrency: 500, RequestCount: 500, Poke: i%2 == 0},
			}})
		}
	}
	// Ten decision ticks with the forged demand in place, were it taken.
	time.Sleep(time.Second)
	if got := scaleOf(t, c, ns, key.Name); got != 0 {
		t.Fatalf("forged frames scaled %s to %d, want 0", key, got)
	}
	testutil.Eventually(t, wait, "forged connections refused", func(context.Context) error {
		if n := s.metricSum(t, "wake_autoscaler_stats_connections_refused_total"); n != float64(len(forged)) {
			return fmt.Errorf("%v connections refused, want %d", n, len(forged))
		}
		return nil
	})
	if n := s.metric(t, "wake_autoscaler_stat_frames_total"); n > 0 {
		t.Errorf("%v forged frames applied", n)
	}
}

// metricSum sums every sample of a counter or gauge family in the stack's
// registry, or returns -1 when there is no such family.
func (s *stack) metricSum(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	return -1
}
