package summary

import (
	"slices"
	"testing"
)

func TestOf(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted
	}
	for _, tc := range []struct {
		name string
		in   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []float64{7}, Summary{N: 1, Median: 7, P90: 7, P99: 7, Min: 7, Max: 7}},
		{"even count averages the middle two", []float64{4, 1, 3, 2}, Summary{N: 4, Median: 2.5, P90: 4, P99: 4, Min: 1, Max: 4}},
		{"odd count", []float64{5, 1, 3}, Summary{N: 3, Median: 3, P90: 5, P99: 5, Min: 1, Max: 5}},
		{"hundred", hundred, Summary{N: 100, Median: 50.5, P90: 90, P99: 99, Min: 1, Max: 100}},
		{"ten: p90 is the ninth", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Summary{N: 10, Median: 5.5, P90: 9, P99: 10, Min: 1, Max: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.in)
			if got := Of(tc.in); got != tc.want {
				t.Errorf("Of(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
			if !slices.Equal(before, tc.in) {
				t.Errorf("Of changed its input: %v, was %v", tc.in, before)
			}
		})
	}
}

func TestRank(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		p    float64
		want float64
	}{
		{0.5, 3}, {0.2, 1}, {0.21, 2}, {1, 5}, {0, 1}, {-1, 1}, {2, 5},
	} {
		if got := Rank(s, tc.p); got != tc.want {
			t.Errorf("Rank(%v, %v) = %v, want %v", s, tc.p, got, tc.want)
		}
	}
	if got := Rank(nil, 0.5); got != 0 {
		t.Errorf("Rank(nil) = %v, want 0", got)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		v    []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd, unsorted", []float64{5, 1, 3}, 3},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := Median(tt.v); got != tt.want {
			t.Errorf("%s: Median = %v, want %v", tt.name, got, tt.want)
		}
	}
	v := []float64{2, 1}
	Median(v)
	if v[0] != 2 {
		t.Errorf("Median sorted its argument: %v", v)
	}
}
