package statwire

// Bounds on the log lines of one frame; a sender keeps the rest for its
// next frames.
const (
	MaxLogLines = 500
	MaxLogBytes = 512 << 10
)

// LogLine is one request log line of a Route (policies.logs): a JSON
// object, as the activator wrote it.
type LogLine struct {
	// Namespace and Route name the Route.
	Namespace string `json:"ns"`
	Route     string `json:"route"`
	// Line is the JSON line.
	Line string `json:"line"`
}
