//go:build e2e

package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/wakefn/wake/test/bench/internal/proc"
	"github.com/wakefn/wake/test/bench/internal/promtext"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

// report is what a run measured; it is written as the raw numbers.
type report struct {
	StartedAt  time.Time   `json:"startedAt"`
	N          int         `json:"n"`
	Namespaces int         `json:"namespaces"`
	Writers    int         `json:"writers"`
	QPS        float64     `json:"qps"`
	Burst      int         `json:"burst"`
	Machine    machineInfo `json:"machine"`

	CreateSeconds float64 `json:"createSeconds"`
	CreateRetries int64   `json:"createRetries"`
	// CreateServerMs is the API server's mean time to serve one Function
	// create (apiserver_request_duration_seconds) while they were created.
	CreateServerMs float64 `json:"createServerMs"`
	// ReadyCount is how many Functions were seen Ready; AllReadySeconds is
	// from the first create sent until the last of them was (0 if not all
	// were).
	ReadyCount      int     `json:"readyCount"`
	AllReadySeconds float64 `json:"allReadySeconds"`
	// CreateToReadyMs is, per Function, from its create's return to the
	// watch event that showed it Ready.
	CreateToReadyMs summary.Summary `json:"createToReadyMs"`

	// PerFunction is the API requests per Function from the first create
	// until all were Ready (or the wait ended).
	PerFunction perFunctionRequests `json:"perFunction"`

	Processes            map[string]proc.Total `json:"processes"`
	APIObjectsPeak       map[string]float64    `json:"apiObjectsPeak"`
	ControllerReconciles map[string]float64    `json:"controllerReconciles"`

	// Single is one Function woken, then asked twice more.
	Single []request `json:"single"`
	Lanes  []laneRun `json:"lanes"`
	// LaneSummary is per lane over every round, in milliseconds;
	// Ratio is wake ÷ deployment for the median and the max.
	LaneSummary map[string]summary.Summary `json:"laneSummary"`
	Ratio       map[string]float64         `json:"ratio"`
	// WakePhasesMs summarises the woken requests' Server-Timing phases
	// and Wake-Cold-Start header.
	WakePhasesMs map[string]summary.Summary `json:"wakePhasesMs"`

	Series []row `json:"series"`
}

type machineInfo struct {
	CPUs   int    `json:"cpus"`
	Kernel string `json:"kernel"`
}

func machine() machineInfo {
	k, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return machineInfo{CPUs: runtime.NumCPU(), Kernel: strings.TrimSpace(string(k))}
}

// finishReady records the Ready wait.
func (r *report) finishReady(b *bench, cr creation, lastReady time.Time) {
	var ms []float64
	var first time.Time
	for i, c := range cr.createdAt {
		if c.IsZero() {
			continue
		}
		if first.IsZero() || c.Before(first) {
			first = c
		}
		if t, ok := b.state.ready(b.layout.key(i)); ok {
			ms = append(ms, max(0, float64(t.Sub(c).Microseconds())/1000))
		}
	}
	r.ReadyCount = len(ms)
	r.CreateToReadyMs = summary.Of(ms)
	if !lastReady.IsZero() && r.ReadyCount == b.cfg.n {
		// From the first create sent: cr.took ends at the last return.
		r.AllReadySeconds = lastReady.Sub(b.series.start).Seconds()
	}
}

// summarize fills the lane statistics.
func (r *report) summarize() {
	series := map[string][]float64{}
	phases := map[string][]float64{}
	for _, l := range r.Lanes {
		series[l.Lane] = append(series[l.Lane], l.Ms...)
		for _, q := range l.Requests {
			if q.Error != "" || q.ColdStartMs == nil {
				continue
			}
			phases["wake-cold-start-header"] = append(phases["wake-cold-start-header"], float64(*q.ColdStartMs))
			for k, v := range q.PhasesMs {
				phases[k] = append(phases[k], v)
			}
		}
	}
	r.LaneSummary, r.Ratio, r.WakePhasesMs = map[string]summary.Summary{}, map[string]float64{}, map[string]summary.Summary{}
	for k, v := range series {
		r.LaneSummary[k] = summary.Of(v)
	}
	for k, v := range phases {
		r.WakePhasesMs[k] = summary.Of(v)
	}
	d, w := r.LaneSummary[laneDeployment], r.LaneSummary[laneWake]
	if d.Median > 0 && d.Max > 0 {
		r.Ratio["median"], r.Ratio["max"] = w.Median/d.Median, w.Max/d.Max
	}
}

// apiObjects are the resources whose counts the table shows.
var apiObjects = []string{
	"functions.serving.wake.dev", "revisions.serving.wake.dev", "routes.serving.wake.dev",
	"deployments.apps", "replicasets.apps", "pods", "services", "endpointslices.discovery.k8s.io",
}

// print writes the markdown tables.
func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }
	p("\n## bench-scale: %d Functions (%s, %d CPUs, Linux %s)\n", r.N, r.StartedAt.Format(time.RFC3339), r.Machine.CPUs, r.Machine.Kernel)
	p("| what | value |")
	p("|---|---|")
	p("| Functions (initialScale 0) | %d in %d namespaces |", r.N, r.Namespaces)
	p("| create all (%d writers, client QPS %.0f, burst %d) | %.1f s (%.0f/s, %d retries) |", r.Writers, r.QPS, r.Burst,
		r.CreateSeconds, float64(r.N)/max(r.CreateSeconds, 1e-9), r.CreateRetries)
	p("| one create: seen by the client (mean) / served by the API server (mean) | %.0f ms / %s ms |",
		r.CreateSeconds*1000*float64(r.Writers)/float64(max(r.N, 1)), num(r.CreateServerMs, 0))
	if r.AllReadySeconds > 0 {
		p("| all Ready, from the first create | %.1f s (%.0f/s) |", r.AllReadySeconds, float64(r.N)/r.AllReadySeconds)
	} else {
		p("| Ready | %d of %d (not all) |", r.ReadyCount, r.N)
	}
	c := r.CreateToReadyMs
	p("| create → Ready per Function, p50 / p99 / max | %.0f / %.0f / %.0f ms |", c.Median, c.P99, c.Max)
	pf := r.PerFunction
	p("| API requests per Function, first create → all Ready | wake-controller %s; kube-controller-manager %s; API server writes from all clients %s |",
		methods(pf.Controller), methods(pf.KCM), num(pf.APIServerWrites, 1))
	for _, role := range roles {
		t, ok := r.Processes[role]
		if !ok {
			p("| %s | not found |", role)
			continue
		}
		p("| %s peak RSS (VmHWM), CPU | %.0f MB (%.0f MB), %.1f CPU s over the run (%d process(es)) |", role,
			float64(t.PeakRSSKiB)/1024, float64(t.PeakHWMKiB)/1024, t.CPUSeconds, t.Processes)
	}
	objs := make([]string, 0, len(apiObjects))
	for _, o := range apiObjects {
		objs = append(objs, fmt.Sprintf("%s %.0f", strings.Split(o, ".")[0], r.APIObjectsPeak[o]))
	}
	p("| API server objects (largest count seen) | %s |", strings.Join(objs, ", "))
	rec := make([]string, 0, len(r.ControllerReconciles))
	for _, k := range slices.Sorted(maps.Keys(r.ControllerReconciles)) {
		rec = append(rec, fmt.Sprintf("%s %.0f", k, r.ControllerReconciles[k]))
	}
	p("| wake-controller reconciles (since its start) | %s |", strings.Join(rec, ", "))
	for i, q := range r.Single {
		p("| one Function woken %s, request %d | %s |", map[bool]string{true: "a minute after all Ready", false: "again"}[i == 0], i+1, q.describe())
	}

	p("\n### %d Functions woken together vs %d plain Deployments scaled 0→1 together (time to first 200, ms)\n", laneSize(r.Lanes), laneSize(r.Lanes))
	p("| round | lane | went | answered | failed | median | p90 | max | pod created | scheduled | has IP | Ready |")
	p("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	all := map[string]map[string][]float64{}
	for _, l := range r.Lanes {
		s := summary.Of(l.Ms)
		p("| %d | %s | %s | %d | %d | %.0f | %.0f | %.0f | %s |", l.Round, l.Lane, []string{"first", "second"}[l.Position],
			len(l.Ms), len(l.Failures), s.Median, s.P90, s.Max, podColumns(l.PodPhasesMs))
		if all[l.Lane] == nil {
			all[l.Lane] = map[string][]float64{}
		}
		for k, v := range l.PodPhasesMs {
			all[l.Lane][k] = append(all[l.Lane][k], v...)
		}
	}
	for _, lane := range []string{laneDeployment, laneWake} {
		s := r.LaneSummary[lane]
		p("| all | %s | | %d | | %.0f | %.0f | %.0f | %s |", lane, s.N, s.Median, s.P90, s.Max, podColumns(all[lane]))
	}
	if len(r.Ratio) > 0 {
		p("| | **wake ÷ deployment** | | | | **%.2f** | | **%.2f** | | | | |", r.Ratio["median"], r.Ratio["max"])
	}
	p("\n(pod columns: median ms from the member's start until this client saw its first pod created, scheduled, with an IP, Ready)")
	p("\nCPU seconds during each lane (rounds in order): %s", laneCPU(r.Lanes))
	if len(r.WakePhasesMs) > 0 {
		p("\nwake lane, activator's phases (median / max ms): %s", phaseLine(r.WakePhasesMs))
	}
	for _, l := range r.Lanes {
		for _, f := range l.Failures[:min(3, len(l.Failures))] {
			p("- failure, round %d %s: %s", l.Round, l.Lane, f)
		}
	}

	p("\n### Time series\n")
	p("%s", seriesHeader)
	for _, row := range r.Series {
		p("%s", row.markdown())
	}
}

func (q request) describe() string {
	s := fmt.Sprintf("%.0f ms, %d", q.Ms, q.Code)
	if q.ColdStartMs != nil {
		s += fmt.Sprintf(", Wake-Cold-Start %d ms", *q.ColdStartMs)
	}
	if len(q.PhasesMs) > 0 {
		s += " (" + phaseLine(singles(q.PhasesMs)) + ")"
	}
	if q.Error != "" {
		s += ", error: " + q.Error
	}
	return s
}

func singles(m map[string]float64) map[string]summary.Summary {
	out := map[string]summary.Summary{}
	for k, v := range m {
		out[k] = summary.Of([]float64{v})
	}
	return out
}

func phaseLine(m map[string]summary.Summary) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s := m[k]
		if s.N == 1 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, s.Median))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.0f / %.0f", k, s.Median, s.Max))
		}
	}
	return strings.Join(parts, ", ")
}

func laneSize(lanes []laneRun) int {
	n := 0
	for _, l := range lanes {
		n = max(n, len(l.Ms)+len(l.Failures))
	}
	return n
}

// perFunctionRequests divides API requests by the Functions created.
type perFunctionRequests struct {
	// Controller and KCM are the clients' requests (rest_client_requests_total)
	// per HTTP method; nil when a page was missing.
	Controller map[string]float64 `json:"controller"`
	KCM        map[string]float64 `json:"kcm"`
	// APIServerWrites counts writing requests the API server served.
	APIServerWrites float64 `json:"apiServerWrites"`
}

func perFunction(before, after scrape, n int) perFunctionRequests {
	out := perFunctionRequests{APIServerWrites: unknown}
	byMethod := func(a, b []promtext.Sample) map[string]float64 {
		if a == nil || b == nil {
			return nil
		}
		m := promtext.By(b, "rest_client_requests_total", "method")
		for k, v := range promtext.By(a, "rest_client_requests_total", "method") {
			m[k] -= v
		}
		for k, v := range m {
			m[k] = max(0, v) / float64(n)
		}
		return m
	}
	out.Controller, out.KCM = byMethod(before.ctrl, after.ctrl), byMethod(before.kcm, after.kcm)
	if before.api != nil && after.api != nil {
		out.APIServerWrites = max(0, apiWrites(after.api)-apiWrites(before.api)) / float64(n)
	}
	return out
}

// methods formats requests per method, largest first.
func methods(m map[string]float64) string {
	if m == nil {
		return "-"
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	parts := make([]string, 0, len(keys))
	total := 0.0
	for _, k := range keys {
		total += m[k]
		if m[k] >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, m[k]))
		}
	}
	return fmt.Sprintf("%.1f (%s)", total, strings.Join(parts, ", "))
}

// meanPostMs is the API server's mean duration of the creates of resource
// between two pages, in milliseconds, or unknown.
func meanPostMs(before, after scrape, resource string) float64 {
	if before.api == nil || after.api == nil {
		return unknown
	}
	match := map[string]string{"verb": "POST", "resource": resource}
	sum := func(p []promtext.Sample, name string) float64 {
		v, _ := promtext.Sum(p, name, match)
		return v
	}
	n := sum(after.api, "apiserver_request_duration_seconds_count") - sum(before.api, "apiserver_request_duration_seconds_count")
	if n <= 0 {
		return unknown
	}
	return 1000 * (sum(after.api, "apiserver_request_duration_seconds_sum") - sum(before.api, "apiserver_request_duration_seconds_sum")) / n
}

// laneCPU formats, per lane and role, the CPU seconds of each round.
func laneCPU(lanes []laneRun) string {
	parts := make([]string, 0, 2*len(roles))
	for _, lane := range []string{laneDeployment, laneWake} {
		for _, role := range roles {
			var secs []string
			for _, l := range lanes {
				if l.Lane == lane {
					secs = append(secs, fmt.Sprintf("%.1f", l.CPUSeconds[role]))
				}
			}
			parts = append(parts, fmt.Sprintf("%s %s %s", lane, role, strings.Join(secs, "/")))
		}
	}
	return strings.Join(parts, "; ")
}

// podColumns formats the medians of the pod phases as table cells.
func podColumns(phases map[string][]float64) string {
	cells := make([]string, 0, len(podPhases))
	for _, ph := range podPhases {
		if v := phases[ph]; len(v) > 0 {
			cells = append(cells, fmt.Sprintf("%.0f", summary.Of(v).Median))
		} else {
			cells = append(cells, "-")
		}
	}
	return strings.Join(cells, " | ")
}
