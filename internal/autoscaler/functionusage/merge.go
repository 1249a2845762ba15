package functionusage

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// DayFormat is how a day's date is written: YYYY-MM-DD.
const DayFormat = time.DateOnly

// Merge returns prev (nil: none) with ws added, each to the UTC day its
// window starts in, and whether it added any. It adds only the windows
// that start at or after prev.CountedThrough (those before it were
// counted already, by this leader or an earlier one) and that end after
// created, the Function's creation (those before it were another
// Function's of the same name). Days stay the latest first, at most
// servingv1alpha1.MaxUsageDays; CountedThrough becomes the end of the
// latest window added.
func Merge(prev *servingv1alpha1.FunctionUsage, ws []Window, created time.Time) (*servingv1alpha1.FunctionUsage, bool) {
	out := &servingv1alpha1.FunctionUsage{}
	if prev != nil {
		out.Days, out.CountedThrough = slices.Clone(prev.Days), prev.CountedThrough
	}
	through, added := out.CountedThrough.Time, false
	for _, w := range ws {
		if w.Start.Before(out.CountedThrough.Time) || !w.End.After(created) {
			continue
		}
		date := w.Start.UTC().Format(DayFormat)
		i := slices.IndexFunc(out.Days, func(d servingv1alpha1.FunctionUsageDay) bool { return d.Date == date })
		if i < 0 {
			out.Days = append(out.Days, servingv1alpha1.FunctionUsageDay{Date: date})
			i = len(out.Days) - 1
		}
		addTo(&out.Days[i], w)
		if w.End.After(through) {
			through = w.End
		}
		added = true
	}
	if !added {
		return prev, false
	}
	slices.SortFunc(out.Days, func(a, b servingv1alpha1.FunctionUsageDay) int { return cmp.Compare(b.Date, a.Date) })
	if len(out.Days) > servingv1alpha1.MaxUsageDays {
		out.Days = out.Days[:servingv1alpha1.MaxUsageDays]
	}
	out.CountedThrough = metav1.NewTime(through.UTC())
	return out, true
}

// addTo adds w's counts to d.
func addTo(d *servingv1alpha1.FunctionUsageDay, w Window) {
	d.Requests += w.Requests
	d.Units += w.Units
	d.ColdStarts += w.ColdStarts
	d.Refused += w.Refused
	d.GBSeconds = AddDecimal(d.GBSeconds, w.GBSeconds)
	d.VCPUSeconds = AddDecimal(d.VCPUSeconds, w.VCPUSeconds)
}

// AddDecimal returns the decimal s plus v, with 3 places ("12.800"). An s
// that is not a finite, non-negative number ("" for a new day) counts as 0.
func AddDecimal(s string, v float64) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		f = 0
	}
	return strconv.FormatFloat(f+v, 'f', 3, 64)
}
