package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"
)

// TestRouteRequests: requests are counted per rule and status class (a
// code outside 100-599 is not counted), and DeleteRoute removes the
// Route's series only.
func TestRouteRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := types.NamespacedName{Namespace: "ns", Name: "api"}
	web := types.NamespacedName{Namespace: "ns", Name: "web"}
	for _, code := range []int{200, 204, 499, 503, 0, 600} {
		m.RouteDone(api, 1, code)
	}
	m.RouteDone(web, 0, 301)
	const head = `
# HELP wake_activator_route_requests_total Requests a Route's rule matched, by status class (1xx to 5xx; a client that left counts as 4xx), CORS preflights the activator answered included.
# TYPE wake_activator_route_requests_total counter
`
	zeros := func(route, rule string, except ...string) string {
		var b strings.Builder
		for _, class := range statusClasses {
			v := "0"
			for i := 0; i+1 < len(except); i += 2 {
				if except[i] == class {
					v = except[i+1]
				}
			}
			b.WriteString(`wake_activator_route_requests_total{class="` + class + `",namespace="ns",route="` + route + `",rule="` + rule + `"} ` + v + "\n")
		}
		return b.String()
	}
	want := head + zeros("api", "1", "2xx", "2", "4xx", "1", "5xx", "1") + zeros("web", "0", "3xx", "1")
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wake_activator_route_requests_total"); err != nil {
		t.Fatal(err)
	}
	m.DeleteRoute(api)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(head+zeros("web", "0", "3xx", "1")), "wake_activator_route_requests_total"); err != nil {
		t.Fatal(err)
	}
	m.RouteDone(api, 1, 200) // counted again from zero
	if err := testutil.GatherAndCompare(reg, strings.NewReader(head+zeros("api", "1", "2xx", "1")+zeros("web", "0", "3xx", "1")), "wake_activator_route_requests_total"); err != nil {
		t.Fatal(err)
	}
}
