package collector

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
)

func TestUsageInFlight(t *testing.T) {
	revA2 := types.NamespacedName{Namespace: revA.Namespace, Name: "a-00002"}
	clk := clocktesting.NewFakePassiveClock(t0)
	c := New(0)
	for _, f := range []statwire.Frame{
		{Source: "x", Stats: []statwire.Stat{st(revA, 3), st(revA2, 1.5), st(revB, 7)}},
		{Source: "y", Stats: []statwire.Stat{st(revA, 2)}},
	} {
		if _, err := c.Apply(t0, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	u := Usage{Collector: c, Clock: clk}
	tests := []struct {
		name      string
		namespace string
		after     time.Duration
		want      float64
	}{
		{"every revision of the namespace, every source", revA.Namespace, 0, 6.5},
		{"another namespace's revisions do not count", revB.Namespace, 0, 7},
		{"a namespace with no traffic", "quiet", 0, 0},
		{"silent sources stop counting after the expiry", revA.Namespace, DefaultExpiry + time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.SetTime(t0.Add(tt.after))
			if got := u.InFlight(tt.namespace); got != tt.want {
				t.Errorf("InFlight(%s) = %v, want %v", tt.namespace, got, tt.want)
			}
		})
	}
}
