package v1alpha1

// Bounds of a Route's and a Function's status.usage, so that it stays
// small.
const (
	// MaxUsageDays is how many UTC days status.usage keeps, the latest
	// first.
	MaxUsageDays = 7
	// MaxUsageClients is how many clients a rule's day lists: the busiest.
	MaxUsageClients = 20
)

// RouteUsage is the requests a Route's rules matched, per UTC day.
type RouteUsage struct {
	// Days are the last MaxUsageDays UTC days with requests, the latest
	// first.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=7
	Days []UsageDay `json:"days"`
}

// UsageDay is one UTC day's requests.
type UsageDay struct {
	// Date is the day, YYYY-MM-DD.
	Date string `json:"date"`
	// Rules are the rules with requests that day, by index.
	// +listType=atomic
	Rules []RuleUsage `json:"rules"`
}

// RuleUsage is one rule's requests in a day.
type RuleUsage struct {
	// Rule is the rule's index in spec.rules.
	Rule int32 `json:"rule"`
	// Requests counts the rule's requests by the class of their answer; a
	// client that left before the answer counts as 4xx.
	Requests StatusClassCounts `json:"requests"`
	// RateLimited counts the requests its rate limits refused (also
	// counted as 4xx).
	// +optional
	RateLimited int64 `json:"rateLimited,omitempty"`
	// Clients are the MaxUsageClients busiest clients of the day, with
	// usage.perClient set.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	Clients []ClientUsage `json:"clients,omitempty"`
}

// ClientUsage is one client's requests to a rule in a day.
type ClientUsage struct {
	// Client is the client ID.
	Client string `json:"client"`
	// Requests counts its requests by the class of their answer.
	Requests StatusClassCounts `json:"requests"`
}

// StatusClassCounts counts requests by the class of their answer.
type StatusClassCounts struct {
	// Informational counts 1xx answers.
	// +optional
	Informational int64 `json:"1xx,omitempty"`
	// Success counts 2xx answers.
	// +optional
	Success int64 `json:"2xx,omitempty"`
	// Redirection counts 3xx answers.
	// +optional
	Redirection int64 `json:"3xx,omitempty"`
	// ClientError counts 4xx answers.
	// +optional
	ClientError int64 `json:"4xx,omitempty"`
	// ServerError counts 5xx answers.
	// +optional
	ServerError int64 `json:"5xx,omitempty"`
}
