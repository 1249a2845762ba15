package tenant

import "testing"

func TestShare(t *testing.T) {
	tests := []struct {
		name         string
		limit        int32
		count, index int
		want         int64
		limited      bool
	}{
		{"no limit", 0, 2, 0, 0, false},
		{"one activator", 7, 1, 0, 7, true},
		{"no activators counts as one", 7, 0, 0, 7, true},
		{"even split", 8, 2, 1, 4, true},
		{"remainder to the first", 7, 2, 0, 4, true},
		{"remainder not to the last", 7, 2, 1, 3, true},
		{"limit below the count", 1, 2, 1, 0, true},
		{"index out of range", 7, 2, 5, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, limited := Share(tt.limit, tt.count, tt.index)
			if got != tt.want || limited != tt.limited {
				t.Errorf("Share(%d, %d, %d) = %d, %v; want %d, %v", tt.limit, tt.count, tt.index, got, limited, tt.want, tt.limited)
			}
		})
	}
	// The shares always add up to the limit.
	for limit := int32(1); limit < 20; limit++ {
		for count := 1; count < 6; count++ {
			var sum int64
			for i := range count {
				s, _ := Share(limit, count, i)
				sum += s
			}
			if sum != int64(limit) {
				t.Errorf("shares of %d over %d add up to %d", limit, count, sum)
			}
		}
	}
}
