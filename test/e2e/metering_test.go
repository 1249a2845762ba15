//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

// meterSummary is what test/images/meterhook answers GET with.
type meterSummary struct {
	Records       map[string]metering.Record `json:"records"`
	Batches       int                        `json:"batches"`
	Duplicates    int                        `json:"duplicates"`
	BadSignatures int                        `json:"badSignatures"`
}

// TestMeteringExportsEveryRequest sends a known number of requests, each
// held 120 ms by the function, through both activators, deletes one
// activator pod halfway, and reads the usage records the leader posted to
// a webhook receiver (test/images/meterhook, which checks each batch's
// signature and deduplicates by record ID): their requests must match the
// requests answered exactly, their units be within one unit per request
// of 2 (120 ms rounds up to 2 units), and nothing be dropped on the way.
// The namespace's own user then reads the same totals on the Function's
// status.usage with kubectl.
func TestMeteringExportsEveryRequest(t *testing.T) {
	waitActivatorsReady(t)
	ns := newNamespace(t, "meter")
	const (
		sleepMs  = 120
		rate     = 40
		duration = 20 * time.Second
		deleteAt = 10 * time.Second
	)
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails
	hexKey := hex.EncodeToString(key)

	create(t, newFunction(ns, "meterhook", "meterhook", withEnv("HMAC_KEY", hexKey), withScaleBounds(1, 1)))
	create(t, newFunction(ns, "work", "sleep", withEnv("SLEEP_MS", fmt.Sprint(sleepMs)), withScaleBounds(1, 3)))
	waitFunctionReady(t, ns, "meterhook", 2*time.Minute)
	waitFunctionReady(t, ns, "work", 2*time.Minute)
	hook := functionHost(ns, "meterhook")
	waitServing(t, hook, func(string) bool { return true })

	setWebhookSecret(t, hexKey)
	setWakeConfig(t, map[string]string{
		config.KeyMeteringWebhookURL: fmt.Sprintf("http://%s.%s.svc:8080/", names.Service(names.Revision("meterhook", 1)), ns),
	})

	// Warm both activators with the work function, then the load; every
	// answer is counted.
	host := functionHost(ns, "work")
	answered := 0
	ok := func(r response) bool { return r.err == nil && r.code == http.StatusOK }
	for _, r := range getAllVia(freshConnClient(), host, 40) {
		if ok(r) {
			answered++
		}
	}
	var victim string
	rs := steadyLoad(freshConnClient(), host, rate, duration, func(ctx context.Context) {
		if !poll.Sleep(ctx, deleteAt) {
			return
		}
		pods, err := listPods(ctx, activatorLabels)
		if err != nil || len(pods) == 0 {
			t.Errorf("activator pods: %d, %v", len(pods), err)
			return
		}
		if err := suite.client.Delete(ctx, &pods[0]); err != nil {
			t.Errorf("delete activator pod %s: %v", pods[0].Name, err)
			return
		}
		victim = pods[0].Name
	})
	served, _ := successRate(rs, ok)
	answered += served
	if failed := len(rs) - served; failed > 0 {
		t.Errorf("%d of %d requests failed (activator %s deleted at %s): %s", failed, len(rs), victim, deleteAt, failureLines(rs, ok, 10))
	}
	t.Logf("%d requests answered; activator pod %s deleted at %s of the load", answered, victim, deleteAt)

	// The last window closes within a minute and is final 20 s later.
	var got meterSummary
	testutil.Eventually(t, 4*time.Minute, fmt.Sprintf("records of %d requests", answered), func(ctx context.Context) error {
		s, err := readMeterHook(hook)
		if err != nil {
			return err
		}
		got = s
		if n := usageOf(s, ns, "work").Requests; n < int64(answered) {
			return fmt.Errorf("records count %d requests", n)
		}
		return nil
	})
	use := usageOf(got, ns, "work")
	t.Logf("records: %d requests, %d units, %d ms measured, %d refused; %d batches, %d duplicates",
		use.Requests, use.Units, use.ActualMillis, use.Refused, got.Batches, got.Duplicates)
	if use.Requests != int64(answered) {
		t.Errorf("records count %d requests, the generator had %d answered", use.Requests, answered)
	}
	n := int64(answered)
	if wantUnits := n * metering.Units(sleepMs*time.Millisecond); use.Units < wantUnits || use.Units > wantUnits+n {
		t.Errorf("records bill %d units for %d requests of %d ms: want %d to %d", use.Units, n, sleepMs, wantUnits, wantUnits+n)
	}
	if use.ActualMillis < n*sleepMs {
		t.Errorf("records measure %d ms, less than the %d ms the function held", use.ActualMillis, n*sleepMs)
	}
	if use.Refused != 0 {
		t.Errorf("records count %d refusals, want none", use.Refused)
	}
	if got.BadSignatures != 0 {
		t.Errorf("the receiver refused %d batches for their signature", got.BadSignatures)
	}
	for _, m := range []string{`wake_metering_records_dropped_total`, `wake_autoscaler_metering_entries_dropped_total{reason="late"}`} {
		if v := controllerMetricSum(t, m); v != 0 {
			t.Errorf("%s = %v on the controllers, want 0", m, v)
		}
	}
	// The namespace's own user reads the same use on the Function.
	const user = "tenant-user@meter.example"
	kubectl(t, 30*time.Second, "create", "rolebinding", "tenant-view", "-n", ns, "--clusterrole=view", "--user="+user)
	var status servingv1alpha1.FunctionUsage
	testutil.Eventually(t, 3*time.Minute, "the Function's status.usage", func(context.Context) error {
		out := kubectl(t, 30*time.Second, "get", "function", "work", "-n", ns, "--as", user, "-o", "jsonpath={.status.usage}")
		if out == "" {
			return fmt.Errorf("no status.usage yet")
		}
		if err := json.Unmarshal([]byte(out), &status); err != nil {
			return fmt.Errorf("status.usage %q: %w", out, err)
		}
		var requests, units int64
		for _, d := range status.Days {
			requests, units = requests+d.Requests, units+d.Units
		}
		if requests != use.Requests || units != use.Units {
			return fmt.Errorf("status.usage counts %d requests and %d units, the records %d and %d", requests, units, use.Requests, use.Units)
		}
		return nil
	})
	t.Logf("status.usage as %s: %+v", user, status.Days)
	waitActivatorsReady(t)
}

// usageOf sums the records of function fn in ns.
func usageOf(s meterSummary, ns, fn string) metering.Record {
	var sum metering.Record
	for _, r := range s.Records {
		if r.Namespace == ns && r.Function == fn {
			sum.Requests += r.Requests
			sum.Units += r.Units
			sum.ActualMillis += r.ActualMillis
			sum.Refused += r.Refused
		}
	}
	return sum
}

// readMeterHook reads the receiver's summary through the activator.
func readMeterHook(host string) (meterSummary, error) {
	var s meterSummary
	r := getWithin(30*time.Second, host, "/")
	if r.err != nil || r.code != http.StatusOK {
		return s, fmt.Errorf("GET the receiver: %v", r)
	}
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		return s, fmt.Errorf("decode the receiver's summary: %w", err)
	}
	return s, nil
}

// setWebhookSecret creates (or replaces) the metering webhook's Secret
// with key, and deletes it when the test ends.
func setWebhookSecret(t *testing.T, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: systemNamespace, Name: config.Default().Metering.WebhookSecret},
		Data: map[string][]byte{"hmac-key": []byte(key)}}
	_ = suite.client.Delete(ctx, s) // a leftover of an earlier run, if any
	if err := suite.client.Create(ctx, s); err != nil {
		t.Fatalf("create the webhook Secret: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := suite.client.Delete(ctx, s); err != nil {
			t.Errorf("delete the webhook Secret: %v", err)
		}
	})
}

// setWakeConfig sets keys of wake-config, and puts their old values back
// when the test ends.
func setWakeConfig(t *testing.T, keys map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cm := &corev1.ConfigMap{}
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: config.Name}, cm); err != nil {
		t.Fatalf("get wake-config: %v", err)
	}
	old := map[string]*string{}
	for k, v := range keys {
		if prev, ok := cm.Data[k]; ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		cm.Data[k] = v
	}
	if err := suite.client.Update(ctx, cm); err != nil {
		t.Fatalf("update wake-config: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cm := &corev1.ConfigMap{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: config.Name}, cm); err != nil {
			t.Errorf("get wake-config: %v", err)
			return
		}
		for k, v := range old {
			if v == nil {
				delete(cm.Data, k)
			} else {
				cm.Data[k] = *v
			}
		}
		if err := suite.client.Update(ctx, cm); err != nil {
			t.Errorf("restore wake-config: %v", err)
		}
	})
}

// controllerMetricSum sums, over the controller pods, the samples of a
// metric (a name, or a name with its labels as Prometheus prints them),
// read through the API server's pod proxy.
func controllerMetricSum(t *testing.T, metric string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods, err := listPods(ctx, client.MatchingLabels{"app.kubernetes.io/name": "wake-controller"})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, p := range pods {
		out := kubectl(t, 30*time.Second, "get", "--raw", fmt.Sprintf("/api/v1/namespaces/%s/pods/%s:9090/proxy/metrics", systemNamespace, p.Name))
		for line := range strings.SplitSeq(out, "\n") {
			name, value, found := strings.Cut(line, " ")
			if !found || (name != metric && !strings.HasPrefix(name, metric+"{")) {
				continue
			}
			var v float64
			if _, err := fmt.Sscan(value, &v); err == nil {
				sum += v
			}
		}
	}
	return sum
}
