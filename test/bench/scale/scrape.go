//go:build e2e

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/test/bench/internal/promtext"
)

const (
	// kcmMetrics is kube-controller-manager's secure port on the local
	// cluster (hack/cluster); it accepts the admin client certificate.
	kcmMetrics = "https://127.0.0.1:10257/metrics"
	// controllerMetricsPort is wake-controller's metrics port.
	controllerMetricsPort = "9090"
	scrapeTimeout         = 8 * time.Second
)

// The metrics kept from each page.
var (
	apiMetrics = promtext.Names(
		"apiserver_resource_objects", "apiserver_storage_objects", "apiserver_request_total",
		"apiserver_flowcontrol_current_inqueue_requests",
		"apiserver_request_duration_seconds_sum", "apiserver_request_duration_seconds_count",
	)
	controllerMetrics = promtext.Names("workqueue_depth", "controller_runtime_reconcile_total", "rest_client_requests_total")
	kcmMetricNames    = promtext.Names("workqueue_depth", "rest_client_rate_limiter_duration_seconds_sum", "rest_client_requests_total")
)

// scraper reads the metrics pages of the API server, kube-controller-manager
// and every wake-controller pod.
type scraper struct {
	c         client.Client
	api, kcm  *http.Client
	apiURL    string
	plainHTTP *http.Client
}

func newScraper(c client.Client, cfg *rest.Config) (*scraper, error) {
	api, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server client: %w", err)
	}
	// kube-controller-manager serves a self-signed certificate on loopback;
	// the admin certificate authenticates this client to it.
	kcmCfg := rest.CopyConfig(cfg)
	kcmCfg.CAData, kcmCfg.CAFile, kcmCfg.Insecure = nil, "", true
	kcm, err := rest.HTTPClientFor(kcmCfg)
	if err != nil {
		return nil, fmt.Errorf("kube-controller-manager client: %w", err)
	}
	for _, h := range []*http.Client{api, kcm} {
		h.Timeout = scrapeTimeout
	}
	return &scraper{
		c: c, api: api, kcm: kcm,
		apiURL:    strings.TrimSuffix(cfg.Host, "/") + "/metrics",
		plainHTTP: &http.Client{Timeout: scrapeTimeout},
	}, nil
}

// scrape is one reading of the three sources; a nil slice means that
// source could not be read.
type scrape struct {
	at              time.Time
	api, ctrl, kcm  []promtext.Sample
	apiErr, ctrlErr error
	kcmErr          error
}

func (s *scraper) scrape(ctx context.Context) scrape {
	out := scrape{at: time.Now()}
	out.api, out.apiErr = get(ctx, s.api, s.apiURL, apiMetrics)
	out.kcm, out.kcmErr = get(ctx, s.kcm, kcmMetrics, kcmMetricNames)
	out.ctrl, out.ctrlErr = s.controllers(ctx)
	return out
}

// controllers reads every running wake-controller pod's metrics (only the
// leader reconciles), through the pod IPs the host reaches.
func (s *scraper) controllers(ctx context.Context) ([]promtext.Sample, error) {
	pods := &corev1.PodList{}
	if err := s.c.List(ctx, pods, client.InNamespace("wake-system"),
		client.MatchingLabels{"app.kubernetes.io/name": "wake-controller"}); err != nil {
		return nil, fmt.Errorf("list controller pods: %w", err)
	}
	var all []promtext.Sample
	var lastErr error
	read := 0
	for _, p := range pods.Items {
		if p.Status.PodIP == "" || p.Status.Phase != corev1.PodRunning {
			continue
		}
		url := "http://" + net.JoinHostPort(p.Status.PodIP, controllerMetricsPort) + "/metrics"
		samples, err := get(ctx, s.plainHTTP, url, controllerMetrics)
		if err != nil {
			lastErr = err
			continue
		}
		all = append(all, samples...)
		read++
	}
	if read == 0 {
		if lastErr == nil {
			lastErr = fmt.Errorf("no running wake-controller pod")
		}
		return nil, lastErr
	}
	return all, nil
}

func get(ctx context.Context, h *http.Client, url string, keep func(string) bool) ([]promtext.Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	samples, err := promtext.Parse(resp.Body, keep)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if samples == nil {
		samples = []promtext.Sample{}
	}
	return samples, nil
}

// objectCounts returns the API server's stored objects per resource
// (resource.group, or resource for the core group), from
// apiserver_resource_objects or, on older servers, apiserver_storage_objects.
func objectCounts(samples []promtext.Sample) map[string]float64 {
	name := "apiserver_resource_objects"
	if _, ok := promtext.Sum(samples, name, nil); !ok {
		name = "apiserver_storage_objects"
	}
	out := map[string]float64{}
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		key := s.Labels["resource"]
		if g := s.Labels["group"]; g != "" && !strings.Contains(key, ".") {
			key += "." + g
		}
		out[key] += s.Value
	}
	return out
}

// mutatingVerbs are apiserver_request_total's verbs that write.
var mutatingVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true}

// apiWrites sums apiserver_request_total over the writing verbs.
func apiWrites(samples []promtext.Sample) float64 {
	var sum float64
	for verb, v := range promtext.By(samples, "apiserver_request_total", "verb") {
		if mutatingVerbs[verb] {
			sum += v
		}
	}
	return sum
}
