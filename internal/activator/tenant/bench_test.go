package tenant

import (
	"testing"
)

// BenchmarkAdmit is one request's cost of the tenant limits: the rate on
// arrival, then in flight, in a namespace with both limits (the costly
// case) and in one without.
func BenchmarkAdmit(b *testing.B) {
	l, _ := newLimiter(table(Limits{MaxInFlight: 1 << 30, RequestsPerSecond: 1 << 30, Burst: 1 << 30},
		Limits{}), 2, 0)
	for _, ns := range []string{"limited", "free"} {
		b.Run(ns, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Allow(ns); err != nil {
					b.Fatal(err)
				}
				s, err := l.Begin(ns)
				if err != nil {
					b.Fatal(err)
				}
				s.Done()
			}
		})
	}
}
