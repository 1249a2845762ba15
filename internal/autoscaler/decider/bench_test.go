package decider

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkDecideTick is one decision tick over 10,000 deciders (two
// samples each, as between two ticks, then a decision), steady demand.
func BenchmarkDecideTick(b *testing.B) {
	const n = 10_000
	ds := make([]*Decider, n)
	for i := range ds {
		d, err := New(Defaults())
		if err != nil {
			b.Fatal(err)
		}
		ds[i] = d
	}
	now := time.Unix(1_764_000_000, 0)
	tick := func() {
		for s := range 2 {
			at := now.Add(time.Duration(s) * time.Second)
			for i, d := range ds {
				d.Record(at, float64(i%100))
			}
		}
		now = now.Add(2 * time.Second)
		for i, d := range ds {
			d.Decide(now, Input{ReadyPods: int32(i%100)/70 + 1, CurrentScale: int32(i%100)/70 + 1})
		}
	}
	for range 50 {
		tick()
	}
	for b.Loop() {
		tick()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/tick")
}

// BenchmarkDeciderMemory reports the heap one Decider with the default
// 60 s window holds.
func BenchmarkDeciderMemory(b *testing.B) {
	const n = 10_000
	var per float64
	for b.Loop() {
		before := heapAlloc()
		ds := make([]*Decider, n)
		for i := range ds {
			ds[i], _ = New(Defaults())
		}
		per = float64(heapAlloc()-before) / n
		runtime.KeepAlive(ds)
	}
	b.ReportMetric(per, "B/decider")
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
