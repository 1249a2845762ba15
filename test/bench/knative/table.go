//go:build e2e

package main

import (
	"fmt"
	"io"

	"github.com/wakefn/wake/test/bench/internal/load"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

// laneSummary is one lane's medians over rounds and its cost over direct.
type laneSummary struct {
	Lane          string          `json:"lane"`
	P50ms         float64         `json:"p50Ms"`
	P99ms         float64         `json:"p99Ms"`
	AddedP50ms    float64         `json:"addedP50Ms"`
	AddedP99ms    float64         `json:"addedP99Ms"`
	OpenErrors    int             `json:"openLoopErrors"`
	ClosedRPS     float64         `json:"closedLoopRps"`
	ClosedErrors  int             `json:"closedLoopErrors"`
	ThroughputPct float64         `json:"throughputVsDirectPct"`
	Cold          summary.Summary `json:"coldStartMs"`
}

// summarizeLanes takes each lane's medians over rounds, and the cold
// starts' statistics.
func summarizeLanes(results []load.Result, cold []coldRun) []laneSummary {
	out := make([]laneSummary, 0, len(warmOrder))
	for _, name := range warmOrder {
		var p50, p99, rps []float64
		s := laneSummary{Lane: name}
		for _, r := range results {
			if r.Lane != name {
				continue
			}
			if r.Mode == "open" {
				p50, p99 = append(p50, r.P50ms), append(p99, r.P99ms)
				s.OpenErrors += r.Errors
			} else {
				rps = append(rps, r.Throughput)
				s.ClosedErrors += r.Errors
			}
		}
		s.P50ms, s.P99ms, s.ClosedRPS = summary.Of(p50).Median, summary.Of(p99).Median, summary.Of(rps).Median
		var c []float64
		for _, r := range cold {
			if r.Lane == name {
				c = append(c, r.Ms)
			}
		}
		s.Cold = summary.Of(c)
		out = append(out, s)
	}
	direct := out[0]
	for i := range out {
		out[i].AddedP50ms = out[i].P50ms - direct.P50ms
		out[i].AddedP99ms = out[i].P99ms - direct.P99ms
		if direct.ClosedRPS > 0 {
			out[i].ThroughputPct = 100 * out[i].ClosedRPS / direct.ClosedRPS
		}
	}
	return out
}

// printTable writes the report as a markdown table.
func printTable(w io.Writer, rep report) {
	byLane := map[string]laneSummary{}
	for _, s := range rep.Lanes {
		byLane[s.Lane] = s
	}
	bursts := map[string]burstResult{}
	for _, r := range rep.Bursts {
		bursts[r.Lane] = r
	}
	d, k, wk := byLane[laneDirect], byLane[laneKnative], byLane[laneWake]
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	p("\n| %s | direct | Knative (activator + queue-proxy) | Wake (activator) |\n|---|---|---|---|\n", "same hello image, one run")
	p("| p50 at %d req/s, open loop (ms) | %.3f | %.3f | %.3f |\n", rep.Rate, d.P50ms, k.P50ms, wk.P50ms)
	p("| p99 at %d req/s, open loop (ms) | %.3f | %.3f | %.3f |\n", rep.Rate, d.P99ms, k.P99ms, wk.P99ms)
	p("| added p50 / p99 over direct (ms) | – | +%.3f / +%.3f | +%.3f / +%.3f |\n", k.AddedP50ms, k.AddedP99ms, wk.AddedP50ms, wk.AddedP99ms)
	p("| errors, open loop | %d | %d | %d |\n", d.OpenErrors, k.OpenErrors, wk.OpenErrors)
	p("| closed loop, %d connections (req/s) | %.0f | %.0f | %.0f |\n", rep.Conns, d.ClosedRPS, k.ClosedRPS, wk.ClosedRPS)
	p("| closed loop, share of direct | 100%% | %.0f%% | %.0f%% |\n", k.ThroughputPct, wk.ThroughputPct)
	p("| warm pods after the load | 1 | %d | %d |\n", rep.WarmPods[laneKnative], rep.WarmPods[laneWake])
	p("| cold start median (min–max, n) (ms) | – | %.0f (%.0f–%.0f, %d) | %.0f (%.0f–%.0f, %d) |\n",
		k.Cold.Median, k.Cold.Min, k.Cold.Max, k.Cold.N, wk.Cold.Median, wk.Cold.Min, wk.Cold.Max, wk.Cold.N)
	kb, wb := bursts[laneKnative], bursts[laneWake]
	p("| burst 0→%d: served | – | %d of %d | %d of %d |\n", max(kb.Sent, wb.Sent), kb.Served, kb.Sent, wb.Served, wb.Sent)
	p("| burst: first / median / last answer (ms) | – | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f |\n",
		kb.FirstMs, kb.MedianMs, kb.LastMs, wb.FirstMs, wb.MedianMs, wb.LastMs)
}
