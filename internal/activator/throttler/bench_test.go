package throttler

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkTry measures Try with a free slot: the hot path of every warm
// request (lookup, pick, take, fn, release).
func BenchmarkTry(b *testing.B) {
	for _, tc := range []struct{ cc, pods int }{{0, 1}, {0, 10}, {10, 1}, {10, 10}} {
		b.Run(fmt.Sprintf("cc=%d/pods=%d", tc.cc, tc.pods), func(b *testing.B) {
			th := newTestThrottler(b, Options{})
			th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: tc.cc})
			th.SetEndpoints(testKey, readyEndpoints(tc.pods))
			ctx := context.Background()
			fn := func(string, Outcome) error { return nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := th.Try(ctx, testKey, Queue, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTryParallel measures Try from all Ps at once on one revision
// with ample capacity (contention on the revision mutex).
func BenchmarkTryParallel(b *testing.B) {
	th := newTestThrottler(b, Options{})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 100})
	th.SetEndpoints(testKey, readyEndpoints(10))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		fn := func(string, Outcome) error { return nil }
		for pb.Next() {
			if _, err := th.Try(ctx, testKey, Queue, fn); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
