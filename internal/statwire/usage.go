package statwire

import "time"

// MaxUsageEntries bounds the usage entries of one frame; a sender carries
// the rest over to its next frames.
const MaxUsageEntries = 2000

// UsageDayFormat is how Usage.Day writes a UTC day.
const UsageDayFormat = time.DateOnly

// Usage is what one activator counted of the requests Route rules matched:
// counts since Epoch for Day, cumulative, so that a frame lost on the way
// loses nothing once a later frame carries the key again. A frame lists
// the keys that changed since the last frame, and a rotating share of the
// others, so that a receiver that missed one converges.
type Usage struct {
	// Epoch identifies the counters: the Unix milliseconds when the
	// activator process started counting. A restarted activator has a new
	// epoch, and its counts start from zero.
	Epoch int64 `json:"epoch"`
	// Day is the UTC day the counts are for (UsageDayFormat).
	Day string `json:"day"`
	// Entries are the counts, one per rule and client.
	Entries []UsageEntry `json:"entries"`
}

// UsageEntry counts the requests of one Route rule, or of one client of
// it.
type UsageEntry struct {
	// Namespace and Route name the Route; Rule is the rule's index.
	Namespace string `json:"ns"`
	Route     string `json:"route"`
	Rule      int32  `json:"rule"`
	// Client, when set, is the client ID: the entry counts that client's
	// requests to the rule (they are in the rule's own entry too).
	Client string `json:"client,omitempty"`
	// Classes counts the requests by the class of their answer, 1xx to
	// 5xx.
	Classes [5]int64 `json:"n"`
	// RateLimited counts the requests the rule's rate limits refused.
	RateLimited int64 `json:"lim,omitempty"`
}

// Valid reports whether e names a rule and carries non-negative counts.
func (e UsageEntry) Valid() bool {
	if e.Namespace == "" || e.Route == "" || e.Rule < 0 || e.RateLimited < 0 {
		return false
	}
	for _, n := range e.Classes {
		if n < 0 {
			return false
		}
	}
	return true
}
