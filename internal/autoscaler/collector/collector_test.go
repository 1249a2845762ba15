package collector

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
)

var (
	revA = types.NamespacedName{Namespace: "default", Name: "a-00001"}
	revB = types.NamespacedName{Namespace: "team", Name: "b-00001"}
	t0   = time.Unix(1_764_000_000, 0)
)

func st(key types.NamespacedName, c float64) statwire.Stat {
	return statwire.Stat{Namespace: key.Namespace, Revision: key.Name, AverageConcurrency: c, RequestCount: 1}
}

func poke(key types.NamespacedName, c, n float64) statwire.Stat {
	s := st(key, c)
	s.RequestCount, s.Poke = n, true
	return s
}

type frameAt struct {
	after time.Duration
	f     statwire.Frame
}

func TestConcurrency(t *testing.T) {
	tests := []struct {
		name   string
		frames []frameAt
		at     time.Duration
		want   map[types.NamespacedName]float64
	}{
		{
			name:   "one source",
			frames: []frameAt{{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 10), st(revB, 2)}}}},
			want:   map[types.NamespacedName]float64{revA: 10, revB: 2},
		},
		{
			name: "two sources with half each sum to the whole",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5)}}},
				{0, statwire.Frame{Source: "y", Stats: []statwire.Stat{st(revA, 5)}}},
			},
			want: map[types.NamespacedName]float64{revA: 10},
		},
		{
			name: "a new snapshot replaces the previous one",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5), st(revB, 3)}}},
				{time.Second, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 1)}}},
			},
			at:   time.Second,
			want: map[types.NamespacedName]float64{revA: 1, revB: 0},
		},
		{
			name: "an empty frame means no traffic",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5)}}},
				{time.Second, statwire.Frame{Source: "x"}},
			},
			at:   time.Second,
			want: map[types.NamespacedName]float64{revA: 0},
		},
		{
			name: "a silent source expires",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5)}}},
				{0, statwire.Frame{Source: "y", Stats: []statwire.Stat{st(revA, 5)}}},
				{4 * time.Second, statwire.Frame{Source: "y", Stats: []statwire.Stat{st(revA, 5)}}},
			},
			at:   4 * time.Second,
			want: map[types.NamespacedName]float64{revA: 5},
		},
		{
			name: "a silent source counts until the expiry",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5)}}},
			},
			at:   DefaultExpiry,
			want: map[types.NamespacedName]float64{revA: 5},
		},
		{
			name: "a poke merges into the current snapshot",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revB, 4)}}},
				{100 * time.Millisecond, statwire.Frame{Source: "x", Stats: []statwire.Stat{poke(revA, 0, 1)}}},
			},
			want: map[types.NamespacedName]float64{revA: 1, revB: 4},
		},
		{
			name: "a poke counts its waiting requests",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{poke(revA, 0.5, 3)}}},
			},
			want: map[types.NamespacedName]float64{revA: 3},
		},
		{
			name: "an invalid entry keeps the previous value",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5), st(revB, 1)}}},
				{time.Second, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, -1), st(revB, 2)}}},
			},
			at:   time.Second,
			want: map[types.NamespacedName]float64{revA: 5, revB: 2},
		},
		{
			name: "a reconnected source carries on",
			frames: []frameAt{
				{0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 5)}}},
				{10 * time.Second, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 7)}}},
			},
			at:   10 * time.Second,
			want: map[types.NamespacedName]float64{revA: 7},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(0)
			for _, fa := range tc.frames {
				if _, err := c.Apply(t0.Add(fa.after), fa.f, nil); err != nil {
					t.Fatal(err)
				}
			}
			for key, want := range tc.want {
				if got := c.Concurrency(key, t0.Add(tc.at)); got != want {
					t.Errorf("Concurrency(%v) = %v, want %v", key, got, want)
				}
			}
			c.Sweep(t0.Add(tc.at))
			for key, want := range tc.want {
				if got := c.Concurrency(key, t0.Add(tc.at)); got != want {
					t.Errorf("after Sweep, Concurrency(%v) = %v, want %v", key, got, want)
				}
			}
		})
	}
}

func TestApplyCountsBadEntries(t *testing.T) {
	known := func(k types.NamespacedName) bool { return k != revB }
	c := New(0)
	res, err := c.Apply(t0, statwire.Frame{Source: "x", Stats: []statwire.Stat{
		st(revA, 3),
		st(revB, 3),           // unknown
		poke(revB, 0, 1),      // unknown poke: no poke
		st(revA, math.NaN()),  // invalid
		st(revA, math.Inf(1)), // invalid
		{Namespace: "default", AverageConcurrency: 1}, // no name
		poke(revA, 0, 2),
	}}, known)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || res.Unknown != 2 || res.Invalid != 3 || len(res.Pokes) != 1 || res.Pokes[0] != revA {
		t.Fatalf("Apply = %+v", res)
	}
	if got := c.Concurrency(revA, t0); got != 3 {
		t.Errorf("Concurrency = %v, want 3 (max of 3 and the poke's 2)", got)
	}
	if _, err := c.Apply(t0, statwire.Frame{Stats: []statwire.Stat{st(revA, 1)}}, nil); !errors.Is(err, ErrNoSource) {
		t.Errorf("frame without src: error = %v, want ErrNoSource", err)
	}
}

func TestFreshAndSweep(t *testing.T) {
	c := New(0)
	if c.Fresh(t0) {
		t.Fatal("fresh with no source")
	}
	if _, err := c.Apply(t0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 1)}}, nil); err != nil {
		t.Fatal(err)
	}
	if !c.Fresh(t0.Add(DefaultExpiry)) || c.Fresh(t0.Add(DefaultExpiry+time.Millisecond)) {
		t.Fatal("freshness does not follow the expiry")
	}
	c.Sweep(t0.Add(time.Minute))
	if len(c.sources) != 0 || len(c.revs) != 0 {
		t.Fatalf("Sweep kept %d sources and %d revisions", len(c.sources), len(c.revs))
	}
	if _, err := c.Apply(t0, statwire.Frame{Source: "x", Stats: []statwire.Stat{st(revA, 1)}}, nil); err != nil {
		t.Fatal(err)
	}
	c.Forget(revA)
	if got := c.Concurrency(revA, t0); got != 0 {
		t.Errorf("after Forget, Concurrency = %v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(0)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			src := string(rune('a' + i))
			for j := range 200 {
				now := t0.Add(time.Duration(j) * time.Millisecond)
				if _, err := c.Apply(now, statwire.Frame{Source: src, Stats: []statwire.Stat{st(revA, 1)}}, nil); err != nil {
					t.Error(err)
					return
				}
				c.Concurrency(revA, now)
				if j%50 == 0 {
					c.Sweep(now)
				}
			}
		})
	}
	wg.Wait()
	if got := c.Concurrency(revA, t0.Add(time.Second)); got != 4 {
		t.Errorf("Concurrency = %v, want 4", got)
	}
}
