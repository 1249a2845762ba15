//go:build e2e

package e2e

import (
	"net/http"
	"testing"
	"time"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// TestFunctionReady applies a Function and a Route to it, waits for all three
// objects with `kubectl wait`, and checks that both hosts answer with the
// function's greeting and that an unknown host gets 404.
func TestFunctionReady(t *testing.T) {
	ns := newNamespace(t, "ready")
	const greeting = "Hello from e2e"
	create(t, newFunction(ns, "hello", "hello", withGreeting(greeting)))
	routeHost := "greet." + ns + "." + suite.domain
	create(t, newRoute(ns, "greet", []string{routeHost}, servingv1alpha1.TrafficTarget{FunctionName: "hello", Percent: 100}))

	for _, obj := range []string{"function/hello", "revision/hello-00001", "route/greet"} {
		kubectl(t, 3*time.Minute, "-n", ns, "wait", "--for=condition=Ready", obj, "--timeout=120s")
	}

	fn := waitFunctionReady(t, ns, "hello", time.Minute)
	if got, want := fn.Status.URL.String(), "http://"+functionHost(ns, "hello"); got != want {
		t.Errorf("status.url = %q, want %q", got, want)
	}
	if got := fn.Status.LatestReadyRevisionName; got != "hello-00001" {
		t.Errorf("latestReadyRevisionName = %q, want hello-00001", got)
	}

	tests := []struct {
		name string
		host string
		code int
		body func(string) bool
	}{
		{name: "function URL", host: functionHost(ns, "hello"), code: http.StatusOK, body: bodyIs(greeting)},
		{name: "route host", host: routeHost, code: http.StatusOK, body: bodyIs(greeting)},
		{name: "unknown host", host: "nobody." + ns + "." + suite.domain, code: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.code == http.StatusOK {
				waitServing(t, tc.host, tc.body)
			}
			requireAll(t, tc.host, getAll(tc.host, "/", 20, 4), tc.code, tc.body)
		})
	}
}
