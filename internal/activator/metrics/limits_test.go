package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRefusedAndClientsGone: refusals are counted by reason, every reason
// is exported from the start, unknown reasons are ignored, and clients
// gone are read from Options.ClientsGone.
func TestRefusedAndClientsGone(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{ClientsGone: func() uint64 { return 3 }})
	if err != nil {
		t.Fatal(err)
	}
	m.Refused(RefusedConnections)
	m.Refused(RefusedConnections)
	m.Refused(RefusedHeldRequests)
	m.Refused("made-up")
	want := `
# HELP wake_activator_refused_total Connections and requests refused by the activator's limits, by reason.
# TYPE wake_activator_refused_total counter
wake_activator_refused_total{reason="connections"} 2
wake_activator_refused_total{reason="held_requests"} 1
wake_activator_refused_total{reason="namespace_held_requests"} 0
wake_activator_refused_total{reason="queue_full"} 0
wake_activator_refused_total{reason="tenant_held_requests"} 0
wake_activator_refused_total{reason="tenant_in_flight"} 0
wake_activator_refused_total{reason="tenant_rate"} 0
# HELP wake_activator_clients_gone_total Queued requests that left the queue because their client closed or reset its connection.
# TYPE wake_activator_clients_gone_total counter
wake_activator_clients_gone_total 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wake_activator_refused_total", "wake_activator_clients_gone_total"); err != nil {
		t.Fatal(err)
	}
}
