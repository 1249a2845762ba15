package sim

import (
	"fmt"
	"math"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// DefaultTickInterval is the scaler's decision period.
const DefaultTickInterval = 2 * time.Second

// Config describes one simulation.
type Config struct {
	// Spec is the revision's scaling settings.
	Spec decider.Spec
	// StartDelay is how long a new pod takes to become ready.
	StartDelay time.Duration
	// TickInterval is the decision period; 0 means DefaultTickInterval.
	TickInterval time.Duration
	// InitialReplicas are ready when the simulation starts.
	InitialReplicas int32
	// Start is the simulated time of second 0; zero means a fixed date.
	Start time.Time
}

// Point is the state at the end of one simulated second.
type Point struct {
	// Second counts from the start of the trace.
	Second int
	// Demand is the offered concurrency.
	Demand float64
	// Desired is the scale decided so far.
	Desired int32
	// Ready is the number of ready pods.
	Ready int32
	// Waiting is the demand beyond the ready pods' capacity.
	Waiting float64
}

// Step is one decision.
type Step struct {
	// Second counts from the start of the trace.
	Second int
	// Poke marks a decision taken at once for demand at zero.
	Poke bool
	// Input is what the decider was told.
	Input decider.Input
	// Decision is what it answered.
	Decision decider.Decision
}

// Result summarises a simulation.
type Result struct {
	// Points has one entry per second of the trace.
	Points []Point
	// Steps has one entry per decision.
	Steps []Step
	// WaitedDemand sums Point.Waiting: concurrency-seconds of demand that
	// found no free capacity.
	WaitedDemand float64
	// WaitedSeconds counts the seconds with some Waiting.
	WaitedSeconds int
	// PodSeconds sums the pods that existed (starting or ready) each second.
	PodSeconds float64
	// MaxDesired is the highest decision.
	MaxDesired int32
}

// Run replays trace through a new decider.
func Run(trace Trace, cfg Config) (Result, error) {
	d, err := decider.New(cfg.Spec)
	if err != nil {
		return Result{}, fmt.Errorf("simulate: %w", err)
	}
	tick := cfg.TickInterval
	if tick <= 0 {
		tick = DefaultTickInterval
	}
	tickEvery := max(1, int(tick/time.Second))
	start := cfg.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	clock := clocktesting.NewFakeClock(start)
	capacity := math.Inf(1)
	if cfg.Spec.ContainerConcurrency > 0 {
		capacity = float64(cfg.Spec.ContainerConcurrency)
	}

	p := &pods{delay: cfg.StartDelay}
	p.scaleTo(start.Add(-cfg.StartDelay), cfg.InitialReplicas)
	var res Result
	decide := func(sec int, poke bool) {
		now := clock.Now()
		in := decider.Input{ReadyPods: p.ready(now), CurrentScale: p.count()}
		dec := d.Decide(now, in)
		res.Steps = append(res.Steps, Step{Second: sec, Poke: poke, Input: in, Decision: dec})
		res.MaxDesired = max(res.MaxDesired, dec.DesiredReplicas)
		p.scaleTo(now, dec.DesiredReplicas)
	}
	for sec, demand := range trace {
		if sec > 0 {
			clock.Step(time.Second)
		}
		now := clock.Now()
		d.Record(now, demand)
		poked := demand > 0 && p.count() == 0
		if poked {
			decide(sec, true)
		}
		if sec%tickEvery == 0 && !poked {
			decide(sec, false)
		}
		ready := p.ready(now)
		waiting := math.Max(0, demand-float64(ready)*capacity)
		if math.IsNaN(waiting) { // Inf capacity × 0 ready pods
			waiting = demand
		}
		res.Points = append(res.Points, Point{Second: sec, Demand: demand, Desired: p.count(), Ready: ready, Waiting: waiting})
		res.WaitedDemand += waiting
		if waiting > 0 {
			res.WaitedSeconds++
		}
		res.PodSeconds += float64(p.count())
	}
	return res, nil
}

// pods models a Deployment's pods by the time each becomes ready, oldest
// first.
type pods struct {
	delay   time.Duration
	readyAt []time.Time
}

func (p *pods) count() int32 { return int32(len(p.readyAt)) }

func (p *pods) ready(now time.Time) int32 {
	var n int32
	for _, t := range p.readyAt {
		if !t.After(now) {
			n++
		}
	}
	return n
}

// scaleTo adds pods that will be ready after the start delay, or removes
// the newest (least ready) ones.
func (p *pods) scaleTo(now time.Time, n int32) {
	for p.count() < n {
		p.readyAt = append(p.readyAt, now.Add(p.delay))
	}
	if p.count() > n {
		p.readyAt = p.readyAt[:n]
	}
}
