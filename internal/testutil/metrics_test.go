package testutil

import (
	"reflect"
	"testing"
)

func TestParseDocumented(t *testing.T) {
	tests := []struct {
		name, text, prefix string
		want               map[string][]string
	}{
		{
			name:   "names, labels in braces, other prefixes skipped",
			text:   "`wake_a_requests_total{code}` (499), `wake_a_queue_seconds`,\n`wake_b_other` and `wake_a_refused_total{reason}`.",
			prefix: "wake_a_",
			want: map[string][]string{
				"wake_a_requests_total": {"code"},
				"wake_a_queue_seconds":  nil,
				"wake_a_refused_total":  {"reason"},
			},
		},
		{
			name:   "several labels, repeated mentions merged",
			text:   "`wake_a_x{reason, code}`; again wake_a_x{reason} and wake_a_x.",
			prefix: "wake_a_",
			want:   map[string][]string{"wake_a_x": {"reason", "code"}},
		},
		{
			name:   "a name ends before punctuation",
			text:   "see wake_a_y_.",
			prefix: "wake_a_",
			want:   map[string][]string{"wake_a_y": nil},
		},
		{
			name:   "nothing with the prefix",
			text:   "wake-config and wake_b_x",
			prefix: "wake_a_",
			want:   map[string][]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseDocumented(tc.text, tc.prefix); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseDocumented = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestREADMENamesMetrics: the README is found from a package directory and
// names metrics of both components.
func TestREADMENamesMetrics(t *testing.T) {
	for _, prefix := range []string{"wake_activator_", "wake_autoscaler_"} {
		if got := DocumentedMetrics(t, prefix); len(got) < 5 {
			t.Errorf("README names %d metrics starting with %q: %v", len(got), prefix, got)
		}
	}
}
