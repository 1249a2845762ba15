// Package summary reduces a benchmark's samples to the statistics every
// benchmark under test/bench reports, computed one way.
package summary

import "slices"

// Summary holds the statistics of one series of samples, in the samples'
// unit. Percentiles are nearest-rank; the median of an even count is the
// mean of the middle two.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Of summarises v without changing it. An empty v gives the zero Summary.
func Of(v []float64) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return Summary{
		N: len(s), Median: median(s),
		P90: Rank(s, 0.90), P99: Rank(s, 0.99),
		Min: s[0], Max: s[len(s)-1],
	}
}

// Median returns the median of v without changing it: the middle sample,
// or the mean of the middle two of an even count; 0 for an empty v.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return median(s)
}

// median is the median of sorted, which is not empty.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Rank returns the nearest-rank p-quantile (0 < p ≤ 1) of sorted, the
// smallest sample with at least p of the samples at or below it. It
// returns 0 for an empty sorted; p outside (0, 1] is clamped.
func Rank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	// ceil(p·n) − 1, with a small tolerance so that 0.9·10 is 9, not 9.000…1.
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
