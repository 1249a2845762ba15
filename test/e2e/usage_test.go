//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

// TestUsageAndLogsReadableByTheNamespaceUser: a Route counting per client
// and logging every request gets requests with a key and without one
// through both activators; within seconds its status.usage shows today's
// requests by class, exactly, and the client's, and its logs ConfigMap a
// line per request without the key; a user of the namespace who holds
// only the built-in view role there reads both with kubectl.
func TestUsageAndLogsReadableByTheNamespaceUser(t *testing.T) {
	ns := newNamespace(t, "usage")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"}, Data: map[string][]byte{"alice": []byte("alice-key")}})
	create(t, newFunction(ns, "counted", "hello", withGreeting("counted"), withScaleBounds(1, 1)))
	host := "api." + ns + "." + suite.domain
	rt := newRoute(ns, "counted", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "counted", Percent: 100})
	rt.Spec.Policies = &servingv1alpha1.RoutePolicies{
		APIKeys: &servingv1alpha1.APIKeyPolicy{
			CredentialRefs: []servingv1alpha1.SecretRef{{Name: "clients"}},
			ExtractFrom:    []servingv1alpha1.APIKeyExtractFrom{{Headers: []servingv1alpha1.CORSHeaderName{"X-Api-Key"}}},
		},
		Usage: &servingv1alpha1.UsagePolicy{PerClient: true},
		Logs:  &servingv1alpha1.LogPolicy{SamplePercent: 100, Headers: []servingv1alpha1.CORSHeaderName{"X-Api-Key", "User-Agent"}},
	}
	create(t, rt)
	waitRouteCondition(t, ns, "counted", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)
	const user = "tenant-user@usage.example"
	kubectl(t, 30*time.Second, "create", "rolebinding", "tenant-view", "-n", ns, "--clusterrole=view", "--user="+user)

	// Every answer is counted, those of the wait for the Route too.
	var ok, unauthorized int64
	sendCounted := func(key string) int {
		var hdr []string
		if key != "" {
			hdr = []string{"X-Api-Key", key}
		}
		r := send(http.MethodGet, host, "/", hdr...)
		switch r.code {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
			unauthorized++
		default:
			t.Fatalf("request with key %q: %v", key, r)
		}
		return r.code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Both activators have the Route and alice's key: 20 answers in a row.
	if _, err := poll.Until(ctx, pollInterval, func(context.Context) error {
		for i := range 20 {
			if code := sendCounted("alice-key"); code != http.StatusOK {
				return fmt.Errorf("request %d: %d", i, code)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("alice's key not taken by both activators: %v", err)
	}
	for range 30 {
		sendCounted("alice-key")
	}
	for range 5 {
		sendCounted("")
	}

	var last string
	if _, err := poll.Until(ctx, pollInterval, func(context.Context) error {
		last = kubectl(t, 30*time.Second, "get", "route", "counted", "-n", ns, "--as", user, "-o", "jsonpath={.status.usage}")
		var u servingv1alpha1.RouteUsage
		if last == "" {
			return fmt.Errorf("no usage yet")
		}
		if err := json.Unmarshal([]byte(last), &u); err != nil {
			return err
		}
		if len(u.Days) != 1 || u.Days[0].Date != time.Now().UTC().Format(time.DateOnly) || len(u.Days[0].Rules) != 1 {
			return fmt.Errorf("usage %s, want today's, one rule", last)
		}
		r := u.Days[0].Rules[0]
		want := servingv1alpha1.StatusClassCounts{Success: ok, ClientError: unauthorized}
		wantAlice := []servingv1alpha1.ClientUsage{{Client: "alice", Requests: servingv1alpha1.StatusClassCounts{Success: ok}}}
		if r.Requests != want || len(r.Clients) != 1 || r.Clients[0] != wantAlice[0] {
			return fmt.Errorf("rule usage %+v, want %+v and %+v", r, want, wantAlice)
		}
		return nil
	}); err != nil {
		t.Fatalf("usage as the namespace's user sees it: %v (last: %s)", err, last)
	}
	t.Logf("usage read by %s: %s", user, last)

	// The log lines: one per request, alice's with her ID and never her key.
	if _, err := poll.Until(ctx, pollInterval, func(context.Context) error {
		last = kubectl(t, 30*time.Second, "get", "configmap", servingv1alpha1.LogsConfigMapName("counted"), "-n", ns, "--as", user,
			"-o", "jsonpath={.data.lines}", "--ignore-not-found")
		lines := strings.Split(strings.TrimSuffix(last, "\n"), "\n")
		if last == "" || int64(len(lines)) != ok+unauthorized {
			return fmt.Errorf("%d lines, want %d", len(lines), ok+unauthorized)
		}
		var byStatus [6]int64
		for _, l := range lines {
			var rec struct {
				Route, Client, Path string
				Status              int
				Headers             map[string]string
			}
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				return fmt.Errorf("line %q: %w", l, err)
			}
			if rec.Route != "counted" || rec.Path != "/" || rec.Status/100 < 1 || rec.Status/100 > 5 ||
				(rec.Status == http.StatusOK) != (rec.Client == "alice") || strings.Contains(l, "alice-key") {
				return fmt.Errorf("line %q", l)
			}
			byStatus[rec.Status/100]++
		}
		if byStatus[2] != ok || byStatus[4] != unauthorized {
			return fmt.Errorf("lines by class %v, want %d 2xx and %d 4xx", byStatus, ok, unauthorized)
		}
		return nil
	}); err != nil {
		t.Fatalf("log lines as the namespace's user sees them: %v (last: %.500s)", err, last)
	}
}
