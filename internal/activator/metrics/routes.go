package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
)

// Labels of the per-rule series.
const (
	labelRoute  = "route"
	labelRule   = "rule"
	labelClass  = "class"
	labelMode   = "mode"
	labelClient = "client"
)

// statusClasses are the values of the class label, by the status's first
// digit less one.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// ruleKey names one rule of one Route.
type ruleKey struct {
	route types.NamespacedName
	rule  int
}

// routes counts the requests each Route rule matched, by status class.
type routes struct {
	requests *prometheus.CounterVec
	// limited counts the requests a rule's rate limits refused, or would
	// have in shadow mode.
	limited *prometheus.CounterVec
	// clients counts the requests of each client, for the rules that ask.
	clients *prometheus.CounterVec

	mu    sync.RWMutex
	rules map[ruleKey]*[len(statusClasses)]prometheus.Counter
}

func newRoutes() *routes {
	return &routes{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "route_requests_total",
			Help: "Requests a Route's rule matched, by status class (1xx to 5xx; a client that left counts as 4xx), CORS preflights the activator answered included.",
		}, []string{labelNamespace, labelRoute, labelRule, labelClass}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "route_rate_limited_total",
			Help: "Requests a Route rule's rate limits refused (mode=\"refused\"), or would have refused in shadow mode (mode=\"shadow\").",
		}, []string{labelNamespace, labelRoute, labelRule, labelMode}),
		clients: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "route_client_requests_total",
			Help: "Requests of each client a Route rule matched, by status class, for the rules whose Route sets usage.perClient.",
		}, []string{labelNamespace, labelRoute, labelRule, labelClient, labelClass}),
		rules: map[ruleKey]*[len(statusClasses)]prometheus.Counter{},
	}
}

// RouteDone counts a request that rule (its index in the Route's rules) of
// route matched, answered with code.
func (m *Metrics) RouteDone(route types.NamespacedName, rule, code int) {
	class := code/100 - 1
	if class < 0 || class >= len(statusClasses) {
		return
	}
	m.routes.counters(ruleKey{route, rule})[class].Inc()
}

// RouteLimited counts a request that the rate limits of rule of route
// refused, or would have refused in shadow mode.
func (m *Metrics) RouteLimited(route types.NamespacedName, rule int, shadow bool) {
	mode := "refused"
	if shadow {
		mode = "shadow"
	}
	m.routes.limited.WithLabelValues(route.Namespace, route.Name, strconv.Itoa(rule), mode).Inc()
}

// RouteClientDone counts a request of client that rule of route matched,
// answered with code.
func (m *Metrics) RouteClientDone(route types.NamespacedName, rule int, client string, code int) {
	class := code/100 - 1
	if class < 0 || class >= len(statusClasses) {
		return
	}
	m.routes.clients.WithLabelValues(route.Namespace, route.Name, strconv.Itoa(rule), client, statusClasses[class]).Inc()
}

// counters returns key's counters, creating its series on first use.
func (r *routes) counters(key ruleKey) *[len(statusClasses)]prometheus.Counter {
	r.mu.RLock()
	cs := r.rules[key]
	r.mu.RUnlock()
	if cs != nil {
		return cs
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cs = r.rules[key]; cs == nil {
		cs = new([len(statusClasses)]prometheus.Counter)
		rule := strconv.Itoa(key.rule)
		for i, class := range statusClasses {
			cs[i] = r.requests.WithLabelValues(key.route.Namespace, key.route.Name, rule, class)
		}
		r.rules[key] = cs
	}
	return cs
}

// DeleteRoute removes every series of route.
func (m *Metrics) DeleteRoute(route types.NamespacedName) {
	m.routes.mu.Lock()
	for k := range m.routes.rules {
		if k.route == route {
			delete(m.routes.rules, k)
		}
	}
	m.routes.mu.Unlock()
	labels := prometheus.Labels{labelNamespace: route.Namespace, labelRoute: route.Name}
	m.routes.requests.DeletePartialMatch(labels)
	m.routes.limited.DeletePartialMatch(labels)
	m.routes.clients.DeletePartialMatch(labels)
}
