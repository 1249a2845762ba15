package functionusage

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// at is a time on 2026-12-dd, UTC.
func at(dd, hh, mm int) time.Time { return time.Date(2026, 12, dd, hh, mm, 0, 0, time.UTC) }

// win is the one-minute window that starts at start, with req requests,
// 10 units per request, 0.2 GB-s and 0.05 vCPU-s per unit.
func win(start time.Time, req int64) Window {
	return Window{Start: start, End: start.Add(time.Minute), Requests: req, Units: 10 * req,
		GBSeconds: 2 * float64(req), VCPUSeconds: 0.5 * float64(req)}
}

// day is a status day.
func day(date string, req, units int64, gb, vcpu string) servingv1alpha1.FunctionUsageDay {
	return servingv1alpha1.FunctionUsageDay{Date: date, Requests: req, Units: units, GBSeconds: gb, VCPUSeconds: vcpu}
}

func usage(through time.Time, days ...servingv1alpha1.FunctionUsageDay) *servingv1alpha1.FunctionUsage {
	return &servingv1alpha1.FunctionUsage{Days: days, CountedThrough: metav1.NewTime(through)}
}

func TestMerge(t *testing.T) {
	created := at(1, 0, 0)
	week := usage(at(7, 12, 1),
		day("2026-12-07", 1, 10, "2.000", "0.500"), day("2026-12-06", 1, 10, "2.000", "0.500"),
		day("2026-12-05", 1, 10, "2.000", "0.500"), day("2026-12-04", 1, 10, "2.000", "0.500"),
		day("2026-12-03", 1, 10, "2.000", "0.500"), day("2026-12-02", 1, 10, "2.000", "0.500"),
		day("2026-12-01", 1, 10, "2.000", "0.500"))
	tests := []struct {
		name    string
		prev    *servingv1alpha1.FunctionUsage
		ws      []Window
		created time.Time
		want    *servingv1alpha1.FunctionUsage
		added   bool
	}{{
		name:  "first window",
		ws:    []Window{win(at(2, 12, 0), 3)},
		want:  usage(at(2, 12, 1), day("2026-12-02", 3, 30, "6.000", "1.500")),
		added: true,
	}, {
		name: "windows either side of midnight go to their start's day, the latest day first",
		ws:   []Window{win(at(2, 23, 58), 1), win(at(2, 23, 59), 2), win(at(3, 0, 0), 4)},
		want: usage(at(3, 0, 1),
			day("2026-12-03", 4, 40, "8.000", "2.000"),
			day("2026-12-02", 3, 30, "6.000", "1.500")),
		added: true,
	}, {
		name: "added to the day the status has; cold starts and refusals too",
		prev: usage(at(2, 12, 1), day("2026-12-02", 3, 30, "12.800", "1.500")),
		ws: []Window{{Start: at(2, 12, 1), End: at(2, 12, 2), Requests: 1, Units: 4, ColdStarts: 1, Refused: 5,
			GBSeconds: 0.4, VCPUSeconds: 0.001}},
		want: usage(at(2, 12, 2), servingv1alpha1.FunctionUsageDay{Date: "2026-12-02", Requests: 4, Units: 34,
			GBSeconds: "13.200", VCPUSeconds: "1.501", ColdStarts: 1, Refused: 5}),
		added: true,
	}, {
		name:  "a replay of what the status counted adds nothing",
		prev:  usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500")),
		ws:    []Window{win(at(2, 12, 0), 1), win(at(2, 12, 1), 2)},
		want:  usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500")),
		added: false,
	}, {
		name:  "a replay adds only the windows from countedThrough on",
		prev:  usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500")),
		ws:    []Window{win(at(2, 12, 0), 1), win(at(2, 12, 1), 2), win(at(2, 12, 2), 5)},
		want:  usage(at(2, 12, 3), day("2026-12-02", 8, 80, "16.000", "4.000")),
		added: true,
	}, {
		name: "an eighth day pushes out the oldest",
		prev: week,
		ws:   []Window{win(at(8, 0, 0), 1)},
		want: usage(at(8, 0, 1), append([]servingv1alpha1.FunctionUsageDay{day("2026-12-08", 1, 10, "2.000", "0.500")},
			week.Days[:servingv1alpha1.MaxUsageDays-1]...)...),
		added: true,
	}, {
		name:  "a malformed decimal in the status counts as 0",
		prev:  usage(at(2, 12, 0), day("2026-12-02", 1, 10, "12,8", "NaN")),
		ws:    []Window{win(at(2, 12, 0), 1)},
		want:  usage(at(2, 12, 1), day("2026-12-02", 2, 20, "2.000", "0.500")),
		added: true,
	}, {
		name:    "windows that ended before the Function was created were another's",
		ws:      []Window{win(at(2, 11, 58), 1), win(at(2, 11, 59), 2), win(at(2, 12, 0), 4)},
		created: at(2, 12, 0),
		want:    usage(at(2, 12, 1), day("2026-12-02", 4, 40, "8.000", "2.000")),
		added:   true,
	}, {
		name:  "no windows",
		prev:  usage(at(2, 12, 0), day("2026-12-02", 1, 10, "2.000", "0.500")),
		want:  usage(at(2, 12, 0), day("2026-12-02", 1, 10, "2.000", "0.500")),
		added: false,
	}, {
		name:    "nothing to add to no status",
		ws:      []Window{win(at(2, 11, 0), 1)},
		created: at(2, 12, 0),
		want:    nil,
		added:   false,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.created.IsZero() {
				tt.created = created
			}
			var before *servingv1alpha1.FunctionUsage
			if tt.prev != nil {
				before = tt.prev.DeepCopy()
			}
			got, added := Merge(tt.prev, tt.ws, tt.created)
			if added != tt.added {
				t.Errorf("added = %v, want %v", added, tt.added)
			}
			if !equality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("Merge =\n%+v\nwant\n%+v", got, tt.want)
			}
			if !equality.Semantic.DeepEqual(tt.prev, before) {
				t.Errorf("Merge changed its input: %+v, was %+v", tt.prev, before)
			}
		})
	}
}

func TestAddDecimal(t *testing.T) {
	tests := []struct {
		s    string
		v    float64
		want string
	}{
		{"", 0, "0.000"},
		{"", 1.25, "1.250"},
		{"12.800", 0.4, "13.200"},
		{"0.001", 0.0004, "0.001"},
		{"0.001", 0.0006, "0.002"},
		{"123456789.123", 0.877, "123456790.000"},
		{"12,8", 1, "1.000"},
		{"abc", 1, "1.000"},
		{"NaN", 1, "1.000"},
		{"+Inf", 1, "1.000"},
		{"-5.000", 1, "1.000"},
	}
	for _, tt := range tests {
		if got := AddDecimal(tt.s, tt.v); got != tt.want {
			t.Errorf("AddDecimal(%q, %v) = %q, want %q", tt.s, tt.v, got, tt.want)
		}
	}
}
