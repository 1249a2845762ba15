// Command attacker is a client, not a function: the hostile tenant of the
// "hostile neighbour" e2e test. Run as a pod in the attacker's namespace, it
// waits until -start, then for -duration runs four attacks at once against
// Wake's shared components, and exits by itself:
//
//   - forged stat frames to the autoscaler's stat port, naming another
//     namespace's revision (pokes and high concurrency), without credentials;
//   - requests, -flood-parallel at a time, to a function whose pod answers
//     with endless response headers (test/images/headerflood);
//   - -hold-conns connections that request a large response from a
//     containerConcurrency: 1 function and never read it;
//   - -upload-waves waves of -uploads POSTs with a large declared body to a busy
//     containerConcurrency: 1 function, abandoned right after their headers
//     or mid-body.
//
// Every attack is bounded in connections, requests and time. At the end it
// prints one line "SUMMARY {json}" with what each attack achieved.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

// config is the attack plan, from flags.
type config struct {
	start    time.Time
	duration time.Duration
	// activator is the activator Service's ip:port.
	activator string
	stats     statsPlan
	flood     floodPlan
	hold      holdPlan
	upload    uploadPlan
	// ramp spreads the opening of the held connections and of each wave
	// of uploads evenly over this time.
	ramp time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "attacker: %v\n", err)
		os.Exit(2)
	}
	if wait := time.Until(cfg.start); wait > 0 {
		fmt.Printf("attacker: waiting %s for the start\n", wait.Round(time.Millisecond))
		time.Sleep(wait)
	}
	began := time.Now()
	fmt.Printf("attacker: start (%s after the planned start) for %s\n", began.Sub(cfg.start).Round(time.Millisecond), cfg.duration)
	ctx, cancel := context.WithDeadline(context.Background(), began.Add(cfg.duration))
	defer cancel()

	var s summary
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	if cfg.stats.addr != "" {
		run(func(ctx context.Context) { forgeStats(ctx, cfg.stats, &s.Stats) })
	}
	if cfg.flood.host != "" {
		run(func(ctx context.Context) { floodHeaders(ctx, cfg.activator, cfg.flood, &s.Flood) })
	}
	if cfg.hold.host != "" {
		run(func(ctx context.Context) { holdUnread(ctx, cfg.activator, cfg.hold, cfg.ramp, &s.Hold) })
	}
	if cfg.upload.host != "" {
		run(func(ctx context.Context) { abandonUploads(ctx, cfg.activator, cfg.upload, cfg.ramp, &s.Upload) })
	}
	wg.Wait()
	s.Seconds = time.Since(began).Seconds()
	b, err := json.Marshal(&s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "attacker: encode summary: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("SUMMARY %s\n", b)
}

// parseFlags reads the plan.
func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("attacker", flag.ContinueOnError)
	startMS := fs.Int64("start", 0, "when to start, in Unix milliseconds (0: now)")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long the attack lasts")
	fs.DurationVar(&cfg.ramp, "ramp", 0, "spread the opening of held connections and of each wave of uploads over this time")
	fs.StringVar(&cfg.activator, "activator", "wake-activator.wake-system.svc.cluster.local:80", "the activator Service's host:port")

	fs.StringVar(&cfg.stats.addr, "stats", "", "the autoscaler's stat port, host:port (every address the host resolves to is attacked; empty: skip)")
	fs.StringVar(&cfg.stats.namespace, "forge-ns", "", "namespace of the revision named in forged frames")
	fs.StringVar(&cfg.stats.revision, "forge-rev", "", "revision named in forged frames")
	fs.IntVar(&cfg.stats.conns, "stats-conns", 4, "connections to each stat server address")
	fs.DurationVar(&cfg.stats.interval, "stats-interval", 50*time.Millisecond, "time between frames on one connection")
	fs.Float64Var(&cfg.stats.concurrency, "forge-concurrency", 1000, "concurrency claimed in forged frames")

	fs.StringVar(&cfg.flood.host, "flood-host", "", "Host of the endless-headers function (empty: skip)")
	fs.StringVar(&cfg.flood.path, "flood-path", "/flood", "path that makes it flood")
	fs.IntVar(&cfg.flood.parallel, "flood-parallel", 20, "requests in flight at once")
	fs.DurationVar(&cfg.flood.timeout, "flood-timeout", 30*time.Second, "timeout of one request (a new one is sent when one ends)")

	fs.StringVar(&cfg.hold.host, "hold-host", "", "Host of the large-response function (empty: skip)")
	fs.StringVar(&cfg.hold.path, "hold-path", "/?bytes=67108864", "path that asks for a large response")
	fs.IntVar(&cfg.hold.conns, "hold-conns", 200, "connections that never read")

	fs.StringVar(&cfg.upload.host, "upload-host", "", "Host of the busy function the uploads queue for (empty: skip)")
	fs.StringVar(&cfg.upload.path, "upload-path", "/?ms=20000", "path of the uploads and of the requests that keep the function busy")
	fs.IntVar(&cfg.upload.perWave, "uploads", 500, "uploads per wave")
	fs.IntVar(&cfg.upload.waves, "upload-waves", 1, "waves of uploads")
	fs.DurationVar(&cfg.upload.every, "upload-every", 5*time.Second, "time between waves")
	fs.Int64Var(&cfg.upload.declared, "upload-bytes", 1<<20, "declared Content-Length of each upload")
	fs.IntVar(&cfg.upload.occupiers, "occupiers", 2, "requests kept in flight to keep the function busy")
	fs.DurationVar(&cfg.upload.linger, "upload-linger", 300*time.Millisecond, "how long an upload stays open before it is abandoned")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.start = time.Now()
	if *startMS > 0 {
		cfg.start = time.UnixMilli(*startMS)
	}
	return cfg, cfg.validate()
}

// validate checks that the plan is bounded.
func (cfg config) validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{cfg.duration <= 0 || cfg.duration > 5*time.Minute, "-duration must be in (0, 5m]"},
		{cfg.stats.addr != "" && (cfg.stats.namespace == "" || cfg.stats.revision == ""), "-stats needs -forge-ns and -forge-rev"},
		{cfg.stats.conns < 0 || cfg.stats.conns > 64, "-stats-conns must be in [0, 64]"},
		{cfg.stats.interval < time.Millisecond, "-stats-interval must be at least 1ms"},
		{cfg.flood.parallel < 0 || cfg.flood.parallel > 200, "-flood-parallel must be in [0, 200]"},
		{cfg.hold.conns < 0 || cfg.hold.conns > 2000, "-hold-conns must be in [0, 2000]"},
		{cfg.upload.perWave < 0 || cfg.upload.perWave > 2000, "-uploads must be in [0, 2000]"},
		{cfg.upload.every < 100*time.Millisecond, "-upload-every must be at least 100ms"},
		{cfg.upload.waves < 0 || cfg.upload.waves > 100, "-upload-waves must be in [0, 100]"},
		{cfg.upload.declared < 1, "-upload-bytes must be positive"},
		{cfg.ramp < 0 || cfg.ramp > cfg.duration, "-ramp must be in [0, -duration]"},
		{cfg.upload.occupiers < 0 || cfg.upload.occupiers > 16, "-occupiers must be in [0, 16]"},
	}
	for _, c := range checks {
		if c.bad {
			return errors.New(c.msg)
		}
	}
	return nil
}
