package statserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// waitTimeout is how long a test waits for the server to count what it sent.
const waitTimeout = 5 * time.Second

// frames is how many frames the server has applied.
func (h *harness) frames() float64 { return testutil.ToFloat64(h.srv.metrics.frames) }

// connections is how many connections the server holds.
func (h *harness) connections() float64 { return testutil.ToFloat64(h.srv.metrics.connections) }

// pokesCounted is how many pokes the server has counted.
func (h *harness) pokesCounted() float64 { return testutil.ToFloat64(h.srv.metrics.pokes) }

// dropped is how many frames the server dropped for reason.
func (h *harness) dropped(reason string) float64 {
	return testutil.ToFloat64(h.srv.metrics.dropped.WithLabelValues(reason))
}

// refused is how many connections the server refused for reason.
func (h *harness) refused(reason string) float64 {
	return testutil.ToFloat64(h.srv.metrics.refused.WithLabelValues(reason))
}
