package tenant

// Limits are one namespace's limits on requests, each summed over all
// activators (this activator enforces its Share); 0 means no limit.
type Limits struct {
	// MaxInFlight caps the requests being served at once.
	MaxInFlight int32
	// MaxHeldRequests caps the requests held waiting.
	MaxHeldRequests int32
	// RequestsPerSecond is the sustained rate of requests admitted.
	RequestsPerSecond int32
	// Burst is how many requests may arrive at once above the rate.
	Burst int32
}

// Table is every namespace's limits: the feed builds it from the
// TenantPolicies as package tenancy resolves them. Its own type keeps the
// data plane free of the API types.
type Table struct {
	// Default are the limits of a namespace not in Namespaces.
	Default Limits
	// Namespaces are the limits of the namespaces some policy governs.
	Namespaces map[string]Limits
}

// For returns namespace ns's limits.
func (t *Table) For(ns string) Limits {
	if l, ok := t.Namespaces[ns]; ok {
		return l
	}
	return t.Default
}
