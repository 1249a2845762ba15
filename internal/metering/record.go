package metering

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Modes of metering, wake-config's metering-mode.
const (
	// ModeOff meters nothing.
	ModeOff = "off"
	// ModeRequest bills each request's time at the function, from
	// forwarding to the last response byte, rounded up to Units.
	ModeRequest = "request"
	// ModeInstance bills the time each pod has at least one request in
	// flight, rounded up to Units per busy interval.
	ModeInstance = "instance"
)

// Key names what a Record is about: one revision, and one client of it
// when the gateway named one.
type Key struct {
	Namespace string `json:"namespace"`
	Function  string `json:"function"`
	Revision  string `json:"revision"`
	// Client is the client ID the Route's credentials named, "" for none.
	Client string `json:"client,omitempty"`
}

// Record is the use of one Key over one window: the unit of export.
type Record struct {
	// ID is the same for the same Key and window wherever and whenever it
	// is computed (RecordID), so that a consumer can deduplicate.
	ID string `json:"id"`
	Key
	// Mode is how Units were measured: ModeRequest or ModeInstance.
	Mode string `json:"mode"`
	// WindowStart and WindowEnd bound the window, in UTC.
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
	// Requests counts the requests that reached the function.
	Requests int64 `json:"requests"`
	// Units are the billed units of Unit (100 ms): the measured ones, and
	// the cold-start ones when ColdStartBilled.
	Units int64 `json:"units"`
	// ActualMillis is the measured time the units round up, in
	// milliseconds.
	ActualMillis int64 `json:"actualMillis"`
	// GBSeconds and VCPUSeconds are Units weighted by the container's
	// memory and CPU (WeightsOf).
	GBSeconds   float64 `json:"gbSeconds"`
	VCPUSeconds float64 `json:"vcpuSeconds"`
	// ColdStarts counts the requests that waited for a pod to start;
	// ColdStartUnits is their wait in units, billed only when
	// ColdStartBilled.
	ColdStarts      int64 `json:"coldStarts"`
	ColdStartUnits  int64 `json:"coldStartUnits"`
	ColdStartBilled bool  `json:"coldStartBilled"`
	// Refused counts the requests Wake itself refused before they reached
	// the function (credentials, limits, a full queue, a timeout while
	// held): never billed.
	Refused int64 `json:"refused"`
}

// RecordID returns the ID of k's record for the window starting at start:
// 32 hex digits of a SHA-256 over the fields, each length-prefixed so that
// no two keys share an input.
func RecordID(k Key, start time.Time) string {
	h := sha256.New()
	for _, f := range []string{k.Namespace, k.Function, k.Revision, k.Client, strconv.FormatInt(start.UnixMilli(), 10)} {
		_, _ = h.Write([]byte(strconv.Itoa(len(f)) + ":" + f)) // a hash never fails
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// CloudEvents attributes of the records' envelope.
const (
	// EventType is the CloudEvents type of a usage record.
	EventType = "dev.wake.metering.usage.v1"
	// EventSource is the CloudEvents source of the records.
	EventSource = "/wake/metering"
	// SpecVersion is the CloudEvents version of the envelope.
	SpecVersion = "1.0"
)

// Event is a Record in the CloudEvents 1.0 envelope (structured mode,
// JSON): the form every sink writes.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            Record    `json:"data"`
}

// EventOf wraps r in its envelope: the event's ID is the record's, its
// subject namespace/function/revision, its time the window's end.
func EventOf(r Record) Event {
	return Event{
		SpecVersion: SpecVersion, ID: r.ID, Source: EventSource, Type: EventType,
		Subject: r.Namespace + "/" + r.Function + "/" + r.Revision, Time: r.WindowEnd,
		DataContentType: "application/json", Data: r,
	}
}
