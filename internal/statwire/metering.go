package statwire

import "time"

// MeterResendFor is how long after a window closes every frame carries
// all of it again, so that a stat server that missed a frame (a
// connection lost and redialled, a replica that just started) still gets
// its last counts.
const MeterResendFor = 15 * time.Second

// MaxMeterEntries bounds the metering entries of one frame; a sender
// carries the rest over to its next frames.
const MaxMeterEntries = 1000

// Metering is what one activator metered (internal/activator/meter):
// counts per window and key, cumulative since Epoch, so that a frame lost
// on the way loses nothing once a later frame carries the entry again. A
// frame lists the entries that changed since the last frame, a rotating
// share of the others, and every entry of a window that closed a short
// while ago, so that a receiver that missed one converges.
type Metering struct {
	// Epoch identifies the counters: the Unix milliseconds when the
	// activator process started metering.
	Epoch int64 `json:"epoch"`
	// Mode is how the units were measured: "request" or "instance".
	Mode string `json:"mode"`
	// WindowMillis is the length of the windows, in milliseconds.
	WindowMillis int64 `json:"window"`
	// Entries are the counts.
	Entries []MeterEntry `json:"entries"`
}

// MeterEntry is the use of one revision (and one client of it, when the
// gateway named one) in one window; or, in instance mode, one pod's busy
// intervals in one window.
type MeterEntry struct {
	// Namespace and Revision name the revision; Client is the client ID,
	// "" for none.
	Namespace string `json:"ns"`
	Revision  string `json:"rev"`
	Client    string `json:"client,omitempty"`
	// Pod, in instance mode, is the address of a pod of the revision, and
	// Busy the intervals in which it had at least one of the activator's
	// requests in flight: pairs of start and end, in microseconds since
	// the window's start, in order. Such an entry carries nothing else.
	Pod  string  `json:"pod,omitempty"`
	Busy []int64 `json:"busy,omitempty"`
	// Start is the window's start, in Unix milliseconds.
	Start int64 `json:"start"`
	// Requests counts the requests that reached the function.
	Requests int64 `json:"req,omitempty"`
	// Units are the measured 100 ms units, and Micros the measured time
	// they round up, in microseconds.
	Units  int64 `json:"units,omitempty"`
	Micros int64 `json:"us,omitempty"`
	// ColdStarts counts the requests held for a cold start, and
	// ColdStartUnits their hold time in units.
	ColdStarts     int64 `json:"cold,omitempty"`
	ColdStartUnits int64 `json:"coldUnits,omitempty"`
	// Refused counts the requests refused before they reached the
	// function.
	Refused int64 `json:"refused,omitempty"`
}

// Valid reports whether e names a revision and a window and carries
// non-negative counts.
func (e MeterEntry) Valid() bool {
	if e.Namespace == "" || e.Revision == "" || e.Start <= 0 {
		return false
	}
	for _, n := range []int64{e.Requests, e.Units, e.Micros, e.ColdStarts, e.ColdStartUnits, e.Refused} {
		if n < 0 {
			return false
		}
	}
	if len(e.Busy)%2 != 0 || (len(e.Busy) > 0 && e.Pod == "") || len(e.Busy) > MaxBusyNumbers {
		return false
	}
	last := int64(0)
	for _, t := range e.Busy {
		if t < last {
			return false
		}
		last = t
	}
	return true
}

// MaxBusyNumbers bounds the numbers of one entry's Busy: 500 intervals.
const MaxBusyNumbers = 1000
