package coldlane

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	systemNamespace = "wake-system"
	// maxBody bounds what a response body may hold.
	maxBody = 1 << 20
)

// Activator sends requests to Functions through the activator Service's
// ClusterIP, which the host reaches through kube-proxy, naming the Function
// with the Host header.
type Activator struct {
	// Addr is the Service's ClusterIP and port.
	Addr string
	// Domain is wake-config's domain: a Function's host is
	// <name>.<namespace>.<domain>.
	Domain string
	http   *http.Client
}

// FindActivator reads the activator Service and wake-config.
func FindActivator(ctx context.Context, c client.Reader) (*Activator, error) {
	svc := &corev1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-activator"}, svc); err != nil {
		return nil, fmt.Errorf("get activator service: %w", err)
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-config"}, cm); err != nil {
		return nil, fmt.Errorf("get wake-config: %w", err)
	}
	a := &Activator{Addr: net.JoinHostPort(svc.Spec.ClusterIP, "80"), Domain: cm.Data["domain"]}
	a.http = &http.Client{Transport: &http.Transport{
		// Every request opens its own connection, as a new client would.
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, a.Addr)
		},
	}}
	return a, nil
}

// Host is the Function's host name.
func (a *Activator) Host(ns, function string) string {
	return function + "." + ns + "." + a.Domain
}

// Response is what one request got.
type Response struct {
	Code   int
	Body   string
	Header http.Header
}

// Get sends one GET / for host through the activator, giving up after
// timeout, and reads at most 1 MiB of the body.
func (a *Activator) Get(ctx context.Context, host string, timeout time.Duration) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return Response{}, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return Response{Code: resp.StatusCode, Body: string(body), Header: resp.Header}, err
}

// ColdStartMs is the activator's Wake-Cold-Start header: how long it held
// the request for a pod, in milliseconds; ok is false without one.
func ColdStartMs(h http.Header) (ms int, ok bool) {
	v, err := strconv.Atoi(h.Get("Wake-Cold-Start"))
	return v, err == nil && v >= 0
}

// ServerTiming returns the durations of the wake-* metrics in Server-Timing
// header values ("name;dur=12.5, other;dur=3"), in milliseconds.
func ServerTiming(values []string) map[string]float64 {
	out := map[string]float64{}
	for _, v := range values {
		for metric := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(metric), ";")
			if !strings.HasPrefix(name, "wake-") {
				continue
			}
			for param := range strings.SplitSeq(params, ";") {
				if d, ok := strings.CutPrefix(strings.TrimSpace(param), "dur="); ok {
					if f, err := strconv.ParseFloat(d, 64); err == nil {
						out[name] = f
					}
				}
			}
		}
	}
	return out
}

// Ms is d in milliseconds, to the microsecond.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
