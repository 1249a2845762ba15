//go:build e2e

// Command coldstart measures Wake's cold start on the local cluster against
// its floor, in the same run and alternating (see BENCHMARKS.md):
//
//   - deployment: a plain Deployment of the hello image (imagePullPolicy
//     Never, HTTP readiness probe every second) scaled 0 → 1, timed from the
//     scale request until its Service's EndpointSlice has a ready endpoint;
//   - wake: a Wake Function of the same image at zero (Deployment at 0
//     replicas, no pods left), timed from sending one request through the
//     activator until its response is read; the activator's Wake-Cold-Start
//     header (milliseconds held) and its Server-Timing phases are recorded too.
//
// Before every measured run both lanes are at zero, so no pod of the other
// lane is starting or stopping. It prints a table and writes the raw numbers
// to bin/bench/coldstart.json. Run it with `make bench-coldstart` against a
// cluster brought up with `make dev`.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	wakescheme "github.com/wakefn/wake/internal/scheme"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

const (
	systemNamespace = "wake-system"
	greeting        = "cold"
	plainName       = "plain"
	fnName          = "cold"
	revName         = fnName + "-00001" // names.Revision(fnName, 1)
	// runTimeout bounds one measured run; waitTimeout bounds reaching zero.
	runTimeout  = 2 * time.Minute
	waitTimeout = 3 * time.Minute
	// pollInterval is how often a wait looks again.
	pollInterval = 100 * time.Millisecond
)

// Lanes, and the key of the Wake-Cold-Start header's statistics.
const (
	laneDeployment = "deployment"
	laneWake       = "wake"
	keyColdHeader  = "wake-cold-start-header"
)

// phases split the wake lane's first response, in order. The first two
// come from watches this client holds on the revision's Deployment and
// pods, the next three from the activator's Server-Timing header, the last
// is the client's time minus the activator's Wake-Cold-Start.
var phases = []struct{ name, desc string }{
	{"scale-decision", "  request → Deployment scaled to 1"},
	{"pod-created", "  → pod object created"},
	{"pod-ip", "  → pod has an IP in its status (sandbox, network)"},
	{"pod-listed", "  → pod listed in endpoints (EndpointSlice controller)"},
	{"wake-ready", "  → app accepts the activator's probe"},
	{"wake-slot", "  → request has a slot on the pod"},
	{"proxy", "  → response read by the client"},
}

// run is one measured cold start.
type run struct {
	Lane string `json:"lane"`
	// Index counts runs within the lane from 0.
	Index int `json:"index"`
	// StartedAt is when the measurement began.
	StartedAt time.Time `json:"startedAt"`
	// Ms is the measured time in milliseconds.
	Ms float64 `json:"ms"`
	// ColdStartHeaderMs is the activator's Wake-Cold-Start (wake lane only).
	ColdStartHeaderMs *int `json:"coldStartHeaderMs,omitempty"`
	// PhasesMs splits the wake lane's time into the phases above.
	PhasesMs map[string]float64 `json:"phasesMs,omitempty"`
}

// report is the JSON written to bin/bench/coldstart.json.
type report struct {
	StartedAt  time.Time                  `json:"startedAt"`
	RunsPerArm int                        `json:"runsPerLane"`
	Runs       []run                      `json:"runs"`
	Summary    map[string]summary.Summary `json:"summary"`
	// Difference is wake − deployment, for the median and the p90.
	Difference map[string]float64 `json:"differenceMs"`
}

type bench struct {
	c         client.WithWatch
	ns        string
	activator *coldlane.Activator
	host      string
}

func main() {
	runs := flag.Int("runs", 10, "measured runs per lane")
	out := flag.String("out", filepath.Join("bin", "bench", "coldstart.json"), "where to write the raw numbers")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (default $KUBECONFIG, else bin/kubeconfig)")
	flag.Parse()
	if *kubeconfig == "" {
		*kubeconfig = filepath.Join("bin", "kubeconfig")
	}
	if err := mainErr(*kubeconfig, *runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func mainErr(kubeconfig string, runs int, out string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: wakescheme.New()})
	if err != nil {
		return err
	}
	ctx := context.Background()
	b := &bench{c: c}
	if err := b.setup(ctx); err != nil {
		return err
	}
	defer b.teardown()

	rep := report{StartedAt: time.Now().UTC(), RunsPerArm: runs, Summary: map[string]summary.Summary{}, Difference: map[string]float64{}}
	for i := range runs {
		for _, lane := range []string{laneDeployment, laneWake} {
			if err := b.quiesce(ctx); err != nil {
				return fmt.Errorf("before %s run %d: %w", lane, i, err)
			}
			var r run
			if lane == laneDeployment {
				r, err = b.plainRun(ctx)
			} else {
				r, err = b.wakeRun(ctx)
			}
			if err != nil {
				return fmt.Errorf("%s run %d: %w", lane, i, err)
			}
			r.Lane, r.Index = lane, i
			rep.Runs = append(rep.Runs, r)
			extra := ""
			if r.ColdStartHeaderMs != nil {
				extra = fmt.Sprintf(" (Wake-Cold-Start %d ms)", *r.ColdStartHeaderMs)
				for _, p := range phases {
					extra += fmt.Sprintf(" %s %.0f", p.name, r.PhasesMs[p.name])
				}
			}
			fmt.Fprintf(os.Stderr, "%-10s run %2d: %7.0f ms%s\n", lane, i, r.Ms, extra)
		}
	}
	series := map[string][]float64{}
	for _, r := range rep.Runs {
		series[r.Lane] = append(series[r.Lane], r.Ms)
		if r.ColdStartHeaderMs != nil {
			series[keyColdHeader] = append(series[keyColdHeader], float64(*r.ColdStartHeaderMs))
		}
		for name, v := range r.PhasesMs {
			series[name] = append(series[name], v)
		}
	}
	for key, v := range series {
		rep.Summary[key] = summary.Of(v)
	}
	d, w := rep.Summary[laneDeployment], rep.Summary[laneWake]
	rep.Difference["median"] = w.Median - d.Median
	rep.Difference["p90"] = w.P90 - d.P90

	fmt.Printf("\ncold start, %d alternating runs per lane (ms)\n", runs)
	fmt.Printf("%-60s %8s %8s %8s %8s\n", "lane", "median", "p90", "min", "max")
	rows := []struct{ name, key string }{
		{"deployment 0→1, scale to ready endpoint", laneDeployment},
		{"wake at zero, first response (client)", laneWake},
		{"wake at zero, Wake-Cold-Start header", keyColdHeader},
	}
	for _, p := range phases {
		rows = append(rows, struct{ name, key string }{p.desc, p.name})
	}
	for _, row := range rows {
		s := rep.Summary[row.key]
		fmt.Printf("%-60s %8.0f %8.0f %8.0f %8.0f\n", row.name, s.Median, s.P90, s.Min, s.Max)
	}
	fmt.Printf("%-60s %8.0f %8.0f\n", "difference wake − deployment", rep.Difference["median"], rep.Difference["p90"])

	return rawnumbers.Write(out, rep)
}

// setup creates the namespace, the plain Deployment and its Service, and the
// Function, and waits until the Function has served once.
func (b *bench) setup(ctx context.Context) error {
	a, err := coldlane.FindActivator(ctx, b.c)
	if err != nil {
		return err
	}
	b.activator = a
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	b.ns = "bench-coldstart-" + hex.EncodeToString(suffix)
	b.host = a.Host(b.ns, fnName)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}},
		coldlane.PlainDeployment(b.ns, plainName, greeting),
		coldlane.PlainService(b.ns, plainName),
		coldlane.Function(b.ns, fnName, greeting, nil, coldlane.MinStableWindow),
	}
	for _, o := range objs {
		if err := b.c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	fmt.Fprintf(os.Stderr, "namespace %s: waiting for function %s to serve\n", b.ns, fnName)
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if _, err := poll.Until(ctx, pollInterval, func(ctx context.Context) error {
		fn := &servingv1alpha1.Function{}
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: b.ns, Name: fnName}, fn); err != nil {
			return poll.Stop(err)
		}
		if c := fn.Status.GetCondition(apis.ConditionReady); c == nil || !c.IsTrue() {
			return errors.New("function not ready")
		}
		code, body, _, err := b.get(ctx)
		if err != nil {
			return err
		}
		if code != http.StatusOK || body != greeting+"\n" {
			return fmt.Errorf("%d %q", code, body)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("function serves: %w", err)
	}
	return nil
}

// teardown deletes the namespace (without waiting).
func (b *bench) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}
	if err := b.c.Delete(ctx, ns); err != nil {
		fmt.Fprintf(os.Stderr, "delete namespace %s: %v\n", b.ns, err)
	}
}

// get sends one GET through the activator to the Function's host.
func (b *bench) get(ctx context.Context) (int, string, http.Header, error) {
	r, err := b.activator.Get(ctx, b.host, runTimeout)
	return r.Code, r.Body, r.Header, err
}

// quiesce scales the plain Deployment to 0 and waits until it and the
// Function's revision have no replicas and no pods.
func (b *bench) quiesce(ctx context.Context) error {
	return coldlane.Quiesce(ctx, b.c, b.ns, plainName, waitTimeout, pollInterval, revName)
}

// plainRun scales the plain Deployment 0 → 1 and times until its
// EndpointSlice has a ready endpoint.
func (b *bench) plainRun(ctx context.Context) (run, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	start, end, err := coldlane.ScaleToEndpoint(ctx, b.c, b.ns, plainName)
	if err != nil {
		return run{}, err
	}
	return run{StartedAt: start.UTC(), Ms: ms(end.Sub(start))}, nil
}

// wakeRun times one request to the Function at zero, and splits the time
// into phases.
func (b *bench) wakeRun(ctx context.Context) (run, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	marks, err := b.watchScaleUp(ctx)
	if err != nil {
		return run{}, err
	}
	start := time.Now()
	code, body, h, err := b.get(ctx)
	took := time.Since(start)
	if err != nil {
		return run{}, err
	}
	if code != http.StatusOK || body != greeting+"\n" {
		return run{}, fmt.Errorf("got %d %q, want 200 %q", code, body, greeting)
	}
	r := run{StartedAt: start.UTC(), Ms: ms(took)}
	held, ok := coldlane.ColdStartMs(h)
	if !ok {
		fmt.Fprintf(os.Stderr, "warning: Wake-Cold-Start header %q on a request at zero\n", h.Get("Wake-Cold-Start"))
		return r, nil
	}
	r.ColdStartHeaderMs = &held
	r.PhasesMs = coldlane.ServerTiming(h.Values("Server-Timing"))
	m := <-marks
	scaled, created, addressed := ms(m.scaled.Sub(start)), ms(m.created.Sub(start)), ms(m.addressed.Sub(start))
	r.PhasesMs["scale-decision"] = scaled
	r.PhasesMs["pod-created"] = created - scaled
	r.PhasesMs["pod-ip"] = addressed - created
	r.PhasesMs["pod-listed"] = r.PhasesMs["wake-endpoint"] - addressed
	r.PhasesMs["proxy"] = r.Ms - float64(held)
	delete(r.PhasesMs, "wake-endpoint")
	return r, nil
}

// scaleUp holds when this client saw the revision's Deployment scaled
// above zero, its first pod created, and a pod with an IP.
type scaleUp struct{ scaled, created, addressed time.Time }

// watchScaleUp watches the revision's Deployment and pods until both marks
// are seen or ctx ends, and then sends them.
func (b *bench) watchScaleUp(ctx context.Context) (<-chan scaleUp, error) {
	dw, err := b.c.Watch(ctx, &appsv1.DeploymentList{}, client.InNamespace(b.ns), client.MatchingFields{"metadata.name": revName})
	if err != nil {
		return nil, fmt.Errorf("watch deployment: %w", err)
	}
	pw, err := b.c.Watch(ctx, &corev1.PodList{}, client.InNamespace(b.ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: revName})
	if err != nil {
		dw.Stop()
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	out := make(chan scaleUp, 1)
	go func() {
		defer dw.Stop()
		defer pw.Stop()
		var m scaleUp
		for m.scaled.IsZero() || m.created.IsZero() || m.addressed.IsZero() {
			select {
			case <-ctx.Done():
				out <- m
				return
			case ev, open := <-dw.ResultChan():
				if !open {
					out <- m
					return
				}
				if d, ok := ev.Object.(*appsv1.Deployment); ok && m.scaled.IsZero() && ptr.Deref(d.Spec.Replicas, 0) > 0 {
					m.scaled = time.Now()
				}
			case ev, open := <-pw.ResultChan():
				if !open {
					out <- m
					return
				}
				pod, ok := ev.Object.(*corev1.Pod)
				if ok && ev.Type == watch.Added && m.created.IsZero() {
					m.created = time.Now()
				}
				if ok && pod.Status.PodIP != "" && m.addressed.IsZero() {
					m.addressed = time.Now()
				}
			}
		}
		out <- m
	}()
	return out, nil
}

func ms(d time.Duration) float64 { return coldlane.Ms(d) }
