package scaler

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// replicaSets is a ReplicaSets that remembers its calls.
type replicaSets struct {
	mu    sync.Mutex
	calls []string
}

func (r *replicaSets) Wake(_ context.Context, namespace, name string, replicas int32) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("%s/%s=%d", namespace, name, replicas))
	return true, nil
}

func (r *replicaSets) called() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// TestOnlyWakesScaleReplicaSets: a write that takes a revision up from
// zero scales its ReplicaSet too; other writes leave that to the
// Deployment's controller.
func TestOnlyWakesScaleReplicaSets(t *testing.T) {
	tests := []struct {
		name    string
		from    int32
		load    float64
		pokeNow bool
		want    []string
	}{
		{name: "a poke at zero", from: 0, load: 1, pokeNow: true, want: []string{"default/" + depName + "=1"}},
		{name: "a tick at zero", from: 0, load: 250, want: []string{"default/" + depName + "=4"}},
		{name: "a scale-up from 1", from: 1, load: 250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &replicaSets{}
			e := newEnv(t, decider.Defaults(), deployment(depName, tc.from, tc.from), func(o *Options) { o.ReplicaSets = rs })
			e.stats.set(rev, tc.load)
			if tc.pokeNow {
				e.s.servePoked(e.ctx, []types.NamespacedName{rev})
			} else {
				e.run(10 * time.Second)
			}
			if w := e.drain(); len(w) == 0 {
				t.Fatal("no scale write")
			}
			if got := rs.called(); !slices.Equal(got, tc.want) {
				t.Errorf("ReplicaSets.Wake calls %v, want %v", got, tc.want)
			}
		})
	}
}
