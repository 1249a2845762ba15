// Package sim replays a load trace through a decider with a fake clock and a
// simple model of pods, for tests and for comparing scaling settings.
//
// Each simulated second the offered concurrency is recorded (the activator
// sees queued and proxied requests alike, so the observed concurrency is the
// offered one); a decision is taken every tick, and at once when demand
// arrives while the revision is at zero (the activator's poke). New pods
// become ready StartDelay after the decision that asked for them; removed
// pods go at once, not-yet-ready ones first.
//
// The result lists replicas over time, the demand that had to wait (beyond
// the ready pods' capacity, or any demand while no pod was ready) and the
// pod-seconds used, so that two settings can be compared on one trace.
package sim
