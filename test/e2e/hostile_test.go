//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Parameters of TestHostileNeighbour.
const (
	// hostileRate and hostileWindow are the neighbour's load in each phase.
	hostileRate   = 100
	hostileWindow = 20 * time.Second
	// hostileRounds is how many rounds of both phases may be run until the
	// p99 bound holds (see TestHostileNeighbour).
	hostileRounds = 3
	// hostileGreeting is what B's busy function answers.
	hostileGreeting = "busy neighbour"
	// hostileP99Ratio bounds the neighbour's p99 under attack against its
	// baseline p99 in the same run.
	hostileP99Ratio = 1.5
	// attackerLead is how long after the attacker pod is created its attack
	// starts: enough for the pod to start.
	attackerLead = 8 * time.Second
	// hostileRamp spreads the opening of the attacker's 200 held
	// connections and 500 uploads over the attack's first seconds, so that
	// the p99 check measures isolation rather than this small host's cost
	// of accepting 700 connections in the same millisecond.
	hostileRamp = 2 * time.Second
	// attackTail is how long the attack goes on after the neighbour's
	// window, so that its teardown (closing ~700 connections) is not
	// measured as the neighbour's latency.
	attackTail = 2 * time.Second
	// idleAfter is how long after the attack the idle function is still
	// watched: the autoscaler decides every 2 s.
	idleAfter = 6 * time.Second
)

// TestHostileNeighbour runs a hostile tenant (namespace A) against a
// neighbour (namespace B) that shares Wake with it.
//
// Namespace B has a busy function (hello, one pod) and an idle one (at zero).
// Namespace A has a function whose pod answers with endless response headers
// (headerflood), a containerConcurrency: 1 function with a large response
// (bigbody) and a containerConcurrency: 1 slow function (sleep), each capped
// at one pod, and runs the attacker pod (test/images/attacker), which does
// all at once, for hostileWindow:
//
//   - forged stat frames to the autoscaler's stat port naming B's idle
//     revision (pokes, concurrency 1000), without credentials;
//   - 20 concurrent requests at a time to the endless-headers function;
//   - 200 connections that ask bigbody for 64 MiB and never read;
//   - 500 uploads (1 MiB declared) to the busy slow function, queued behind
//     two 20 s requests, abandoned after their headers or 64 KiB of body.
//
// The held connections and the uploads open over the first hostileRamp.
//
// Phases: a baseline of hostileRate req/s to B's busy function for
// hostileWindow without the attacker, then the same load while the attacker
// runs. It checks that B's busy function got 200 for every request of both
// phases and a p99 under attack within hostileP99Ratio of the baseline's,
// both taken after the attacker's ramp (hostileRamp + rampSettle: opening
// 700 connections at once is a burst of CPU on this 2-core host, where the
// attacker's pod shares the cores with everyone; the whole window's ratio
// is logged) and the two phases run once more if a hiccup of the shared
// machine broke only that bound (see hostileRounds), that
// B's idle function had no replica and no pod from the baseline to idleAfter
// after the attack, and that both activator pods stayed up (same pods, no
// restarts, no OOM kill). It logs the activators' peak resident set (the
// largest VmRSS sampled every 200 ms, and VmHWM, each process's lifetime
// peak), read from the host's /proc since the local cluster runs on this
// host, and what the attacker achieved. WAKE_E2E_HOSTILE_ATTACKS picks a
// subset of the attacks.
func TestHostileNeighbour(t *testing.T) {
	waitActivatorsReady(t)
	testStart := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rss := startRSSSampler(ctx, 200*time.Millisecond)
	before, err := activatorPods(ctx)
	if err != nil {
		t.Fatal(err)
	}

	nsA, nsB := newNamespace(t, "attacker"), newNamespace(t, "neighbour")
	create(t, newFunction(nsB, "busy", "hello", withGreeting(hostileGreeting), withScaleBounds(1, 1)))
	// maxScale 2 bounds what a successful forgery costs this host.
	create(t, newFunction(nsB, "idle", "hello", withScaleBounds(0, 2), withFastScaleToZero(2*time.Second)))
	create(t, newFunction(nsA, "flood", "headerflood", withScaleBounds(1, 1), withTenantResources()))
	create(t, newFunction(nsA, "big", "bigbody", withEnv("BODY_BYTES", "1024"), withSerial(), withScaleBounds(1, 1), withTenantResources()))
	create(t, newFunction(nsA, "slow", "sleep", withSerial(), withScaleBounds(1, 1), withTenantResources()))
	for _, f := range []struct{ ns, name string }{{nsB, "busy"}, {nsB, "idle"}, {nsA, "flood"}, {nsA, "big"}, {nsA, "slow"}} {
		waitFunctionReady(t, f.ns, f.name, 2*time.Minute)
	}
	waitServing(t, functionHost(nsB, "busy"), bodyIs(hostileGreeting))
	waitServing(t, functionHost(nsA, "flood"), bodyIs("ready"))
	waitServing(t, functionHost(nsA, "big"), nil)
	waitServing(t, functionHost(nsA, "slow"), nil)
	waitScaledToZero(t, nsB, "idle-00001", 2*time.Minute)
	idle := watchZero(ctx, nsB, "idle-00001")
	t.Logf("setup took %s", time.Since(testStart).Round(100*time.Millisecond))

	// Two rounds at most of the two phases: a baseline without the attacker,
	// then the same load while it attacks. Every round must serve every
	// request; the p99 bound, which a hiccup of this shared machine in
	// either phase alone can break, must hold in one of them.
	client := freshConnClient()
	var start time.Time
	var rssBase map[string]int64
	for round := 1; ; round++ {
		var base, attacked phaseStats
		start, base, attacked = hostileRound(t, round, nsA, nsB, client)
		if round == 1 {
			_, rssBase, _ = rss.peaks()
		}
		t.Logf("round %d: neighbour p99 over the whole window: baseline %s, under attack %s (ratio %.2f)", round,
			base.all.p99.Round(10*time.Microsecond), attacked.all.p99.Round(10*time.Microsecond),
			float64(attacked.all.p99)/float64(max(base.all.p99, 1)))
		b, a := base.settled.p99, attacked.settled.p99
		limit := time.Duration(float64(b) * hostileP99Ratio)
		t.Logf("round %d: neighbour p99 after the attacker's ramp: baseline %s, under attack %s (ratio %.2f, limit %.1f)", round,
			b.Round(10*time.Microsecond), a.Round(10*time.Microsecond), float64(a)/float64(max(b, 1)), hostileP99Ratio)
		if a <= limit {
			break
		}
		if round == hostileRounds {
			t.Errorf("under attack the neighbour's p99 was %s, over %.1f× its baseline p99 %s (%s), in each of %d rounds",
				a.Round(10*time.Microsecond), hostileP99Ratio, b.Round(10*time.Microsecond), limit.Round(10*time.Microsecond), hostileRounds)
			break
		}
	}
	time.Sleep(time.Until(start.Add(hostileWindow + attackTail + idleAfter)))
	cancel()
	<-idle.done
	<-rss.done

	// The neighbour's idle function.
	idle.mu.Lock()
	t.Logf("idle function: %d samples from the baseline to %s after the attack: max replicas spec %d, status %d, pods %d",
		idle.samples, idleAfter, idle.maxSpec, idle.maxStatus, idle.maxPods)
	if idle.maxSpec > 0 || idle.maxStatus > 0 || idle.maxPods > 0 {
		t.Errorf("the neighbour's idle function left zero (first seen %s after the attack started): up to %d replicas wanted, %d replicas, %d pods",
			idle.firstSeen.Sub(start).Round(10*time.Millisecond), idle.maxSpec, idle.maxStatus, idle.maxPods)
	}
	if idle.samples == 0 {
		t.Errorf("the idle function was never observed (%d errors)", idle.errors)
	}
	idle.mu.Unlock()

	// The activators.
	after, err := activatorPods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkActivators(t, testStart, before, after, rssBase, rss)
	// Leave two ready activators for the tests that follow.
	waitActivatorsReady(t)
}

// hostileRound runs one round of TestHostileNeighbour's two phases
// against B's busy function and checks that each served every request: a
// baseline, then the attacker (pod attacker-<round> in nsA) with the same
// load. It returns when the attack began and each phase's summary.
// phaseStats summarises one phase of the neighbour's load: all of it, and
// the part sent after the first hostileRamp + rampSettle.
type phaseStats struct{ all, settled loadStats }

// rampSettle is how long after the attacker's ramp its connections count
// as open.
const rampSettle = time.Second

// summarizePhase summarises rs whole and after the ramp.
func summarizePhase(rs []loadResult) phaseStats {
	var settled []loadResult
	for _, r := range rs {
		if r.sent >= hostileRamp+rampSettle {
			settled = append(settled, r)
		}
	}
	return phaseStats{all: summarize(rs, bodyIs(hostileGreeting)), settled: summarize(settled, bodyIs(hostileGreeting))}
}

func hostileRound(t *testing.T, round int, nsA, nsB string, client *http.Client) (start time.Time, base, attacked phaseStats) {
	t.Helper()
	busy := functionHost(nsB, "busy")
	base = summarizePhase(steadyLoad(client, busy, hostileRate, hostileWindow, nil))
	t.Logf("round %d: baseline: %d req/s for %s to %s: %s", round, hostileRate, hostileWindow, busy, base.all)

	start = time.Now().Add(attackerLead)
	args := []string{
		"-start", strconv.FormatInt(start.UnixMilli(), 10),
		"-duration", (hostileWindow + attackTail).String(),
		"-activator", suite.activator,
		"-ramp", hostileRamp.String(),
	}
	attacks := hostileAttacks(t)
	if attacks["stats"] {
		args = append(args, "-stats", statsAddress(t), "-forge-ns", nsB, "-forge-rev", "idle-00001")
	}
	if attacks["flood"] {
		args = append(args, "-flood-host", functionHost(nsA, "flood"), "-flood-parallel", "20")
	}
	if attacks["hold"] {
		args = append(args, "-hold-host", functionHost(nsA, "big"), "-hold-conns", "200")
	}
	if attacks["upload"] {
		args = append(args, "-upload-host", functionHost(nsA, "slow"), "-uploads", "500")
	}
	name := "attacker-" + strconv.Itoa(round)
	create(t, attackerPod(nsA, name, args, attackerLead+hostileWindow+attackTail+time.Minute))
	waitPodRunning(t, nsA, name, attackerLead)
	time.Sleep(time.Until(start))
	attacked = summarizePhase(steadyLoad(client, busy, hostileRate, hostileWindow, nil))
	t.Logf("round %d: under attack: %d req/s for %s to %s: %s", round, hostileRate, hostileWindow, busy, attacked.all)

	phase := waitPodEnded(t, nsA, name, time.Minute)
	summary, log := attackerSummary(t, nsA, name)
	pretty, _ := json.MarshalIndent(summary, "", "  ")
	t.Logf("round %d: attacker pod %s; what it achieved:\n%s", round, phase, pretty)
	if summary == nil {
		t.Errorf("the attacker printed no summary; its log:\n%s", log)
	}
	if b := base.all; b.ok != b.total {
		t.Errorf("round %d, baseline (no attacker): %d of %d requests to the neighbour failed: %v", round, b.total-b.ok, b.total, b.failures)
	}
	if a := attacked.all; a.ok != a.total {
		t.Errorf("round %d, under attack: %d of %d requests to the neighbour failed: %v", round, a.total-a.ok, a.total, a.failures)
	}
	return start, base, attacked
}

// hostileAttacksEnv names the environment variable that picks the
// attacks of TestHostileNeighbour: a comma-separated subset of stats,
// flood, hold and upload, or "none" (the attacker pod runs and does nothing,
// which measures the run-to-run noise of the p99 check). Unset means all.
const hostileAttacksEnv = "WAKE_E2E_HOSTILE_ATTACKS"

// hostileAttacks returns the attacks to run, from hostileAttacksEnv.
func hostileAttacks(t *testing.T) map[string]bool {
	t.Helper()
	all := map[string]bool{"stats": true, "flood": true, "hold": true, "upload": true}
	v := os.Getenv(hostileAttacksEnv)
	if v == "" {
		return all
	}
	out := map[string]bool{}
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		switch {
		case a == "none":
		case all[a]:
			out[a] = true
		default:
			t.Fatalf("%s=%q: unknown attack %q (want stats, flood, hold, upload or none)", hostileAttacksEnv, v, a)
		}
	}
	t.Logf("%s=%q: running only %v", hostileAttacksEnv, v, out)
	return out
}

// checkActivators fails the test unless the activator pods after the
// attack are the ones before, running, with no more restarts and no
// termination since since, and logs each pod's peak resident set.
func checkActivators(t *testing.T, since time.Time, before, after map[string]activatorPod, rssBase map[string]int64, rss *rssSampler) {
	t.Helper()
	hwm, peak, procs := rss.peaks()
	uids := map[string]bool{}
	for uid := range before {
		uids[uid] = true
	}
	for uid := range after {
		uids[uid] = true
	}
	sorted := make([]string, 0, len(uids))
	for uid := range uids {
		sorted = append(sorted, uid)
	}
	sort.Strings(sorted)
	for _, uid := range sorted {
		b, inBefore := before[uid]
		a, inAfter := after[uid]
		name := b.name
		if !inBefore {
			name = a.name
		}
		t.Logf("activator %s: peak RSS sampled during the test %s (baseline phase %s), VmHWM %s; %d process(es) seen; restarts %d -> %d; running %v; last termination %q",
			name, mib(peak[uid]), mib(rssBase[uid]), mib(hwm[uid]), procs[uid], b.restarts, a.restarts, a.running, a.terminated)
		switch {
		case !inAfter:
			t.Errorf("activator pod %s is gone", name)
		case !inBefore:
			t.Errorf("activator pod %s is new: it replaced one that was there before", name)
		case a.restarts > b.restarts:
			t.Errorf("activator pod %s restarted %d time(s) during the test; last termination: %s", name, a.restarts-b.restarts, a.terminated)
		case a.terminatedAt.After(since):
			t.Errorf("activator pod %s's container ended during the test: %s", name, a.terminated)
		case !a.running:
			t.Errorf("activator pod %s's container is not running", name)
		case procs[uid] > 1:
			t.Errorf("activator pod %s ran %d processes during the test", name, procs[uid])
		}
	}
	if len(hwm) == 0 {
		t.Logf("no activator process found in this host's /proc: peak RSS not measured (is the cluster on another host?)")
	}
}

// mib formats KiB as MiB.
func mib(kib int64) string {
	if kib == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}
