package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/dataplane"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/statwire"
)

// The four functions: tenant A's cold one and its busy containerConcurrency
// 1 one, tenant B's warm one and its cold one.
var (
	keyACold = types.NamespacedName{Namespace: "tenant-a", Name: "cold-00001"}
	keyABusy = types.NamespacedName{Namespace: "tenant-a", Name: "busy-00001"}
	keyBWarm = types.NamespacedName{Namespace: "tenant-b", Name: "warm-00001"}
	keyBCold = types.NamespacedName{Namespace: "tenant-b", Name: "cold-00001"}
)

const domain = "example.com"

// host is the default host of the function whose revision is key.
func host(key types.NamespacedName) string {
	return fnName(key) + "." + key.Namespace + "." + domain
}

// fnName is the function of a revision named <function>-00001.
func fnName(key types.NamespacedName) string { return key.Name[:len(key.Name)-len("-00001")] }

// readyPath is the readiness path the throttler probes on booting pods.
const readyPath = "/ready"

// serve starts h on a fresh 127.0.0.1 port and returns its address.
func serve(h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &http.Server{Handler: h}
	go func() {
		if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return ln.Addr().String(), func() { _ = s.Close() }
}

// startPod is a function's pod: it answers "ok" after work (0: at once).
func startPod(work time.Duration) (string, func()) {
	return serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if work > 0 {
			time.Sleep(work)
		}
		_, _ = io.WriteString(w, "ok")
	}))
}

// coldPod is the pod of a function at zero, simulated: on a scale-up it
// appears in the endpoints, not ready, after half the boot delay (kubelet
// creating it), and passes its readiness probe from the boot delay on
// (the process listening), counted from the autoscaler's poke. The
// throttler finds it by probing readyPath, as in a cluster.
type coldPod struct {
	key    types.NamespacedName
	th     *throttler.Throttler
	boot   time.Duration
	addr   string
	stop   func()
	booted atomic.Bool

	mu      sync.Mutex
	up      bool // scaled up since the last scale to zero
	timers  []*time.Timer
	scaleAt time.Time // when the last poke arrived
}

// newColdPod starts a cold pod for key that boots in boot; boot < 0 means
// it never boots (its requests stay held).
func newColdPod(key types.NamespacedName, th *throttler.Throttler, boot time.Duration) *coldPod {
	c := &coldPod{key: key, th: th, boot: boot}
	c.addr, c.stop = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.booted.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	return c
}

// scaleUp starts booting the pod, once per episode at zero.
func (c *coldPod) scaleUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up || c.boot < 0 {
		return
	}
	c.up = true
	c.scaleAt = time.Now()
	c.timers = append(c.timers,
		time.AfterFunc(c.boot/2, func() {
			c.th.SetEndpoints(c.key, []throttler.Endpoint{{Address: c.addr}})
		}),
		time.AfterFunc(c.boot, func() { c.booted.Store(true) }))
}

// scaleToZero takes the pod away: no endpoints, not booted.
func (c *coldPod) scaleToZero() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers, c.up = nil, false
	c.booted.Store(false)
	c.th.SetEndpoints(c.key, nil)
}

// pokedAt returns when the last scale-up began.
func (c *coldPod) pokedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scaleAt
}

// autoscaler is the stat server the activator pokes on a cold start: it
// scales the cold pod of the poked revision up at once.
type autoscaler struct {
	ln   net.Listener
	pods map[types.NamespacedName]*coldPod
}

// startAutoscaler listens for the activator's stats; pods are the cold
// pods it scales, set before the activator connects.
func startAutoscaler(pods map[types.NamespacedName]*coldPod) *autoscaler {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	a := &autoscaler{ln: ln, pods: pods}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go a.read(c)
		}
	}()
	return a
}

// read decodes frames, one JSON line each, and scales poked revisions up.
func (a *autoscaler) read(c net.Conn) {
	defer func() { _ = c.Close() }()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var f statwire.Frame
		if json.Unmarshal(sc.Bytes(), &f) != nil {
			continue
		}
		for _, s := range f.Stats {
			if !s.Poke {
				continue
			}
			if p := a.pods[types.NamespacedName{Namespace: s.Namespace, Name: s.Revision}]; p != nil {
				p.scaleUp()
			}
		}
	}
}

// setup is the activator under test and what surrounds it.
type setup struct {
	dp        *dataplane.DataPlane
	addr      string
	aCold     *coldPod
	bCold     *coldPod
	stopFuncs []func()
}

// revisions are the four revisions' throttler settings.
var revisions = map[types.NamespacedName]throttler.RevisionConfig{
	keyACold: {ProbePath: readyPath},
	keyABusy: {ContainerConcurrency: 1},
	keyBWarm: {},
	keyBCold: {ProbePath: readyPath},
}

// newSetup assembles Wake's request path as the activator does
// (dataplane.New, the data server with its cap on connections, the
// throttler's caps on held requests at their defaults), the four
// functions' pods, and the autoscaler it pokes.
func newSetup(ctx context.Context, aWork, aBoot, bBoot time.Duration) (*setup, error) {
	s := &setup{}
	in := routing.Input{Domain: domain}
	for key := range revisions {
		in.Functions = append(in.Functions, routing.FunctionInput{Namespace: key.Namespace, Name: fnName(key), LatestReadyRevision: key.Name})
		in.Revisions = append(in.Revisions, routing.RevisionInput{Key: key})
	}
	tbl, problems := routing.Build(in)
	if len(problems) > 0 {
		return nil, fmt.Errorf("routing problems: %v", problems)
	}
	pods := map[types.NamespacedName]*coldPod{}
	as := startAutoscaler(pods)
	s.stopFuncs = append(s.stopFuncs, func() { _ = as.ln.Close() })
	dp, err := dataplane.New(dataplane.Options{Stats: stats.Options{Source: "bench", Address: as.ln.Addr().String()}})
	if err != nil {
		return nil, err
	}
	s.dp = dp
	dp.Table.Store(tbl)
	for key, rc := range revisions {
		dp.Throttler.UpsertRevision(key, rc)
	}
	s.aCold = newColdPod(keyACold, dp.Throttler, aBoot)
	s.bCold = newColdPod(keyBCold, dp.Throttler, bBoot)
	pods[keyACold], pods[keyBCold] = s.aCold, s.bCold
	for _, key := range []types.NamespacedName{keyABusy, keyBWarm} {
		work := time.Duration(0)
		if key == keyABusy {
			work = aWork
		}
		addr, stop := startPod(work)
		s.stopFuncs = append(s.stopFuncs, stop)
		dp.Throttler.SetEndpoints(key, []throttler.Endpoint{{Address: addr, Ready: true}})
	}
	go dp.Stats.Run(ctx)

	o := dp.ServerOptions(server.Options{})
	srv := server.NewDataServer(o, dp.Handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = srv.Serve(server.LimitListener(ln, o)) }()
	s.addr = ln.Addr().String()
	s.stopFuncs = append(s.stopFuncs, func() { _ = srv.Close() }, s.aCold.stop, s.bCold.stop, func() { _ = dp.Close() })
	return s, nil
}

// close stops everything newSetup started.
func (s *setup) close() {
	for _, f := range s.stopFuncs {
		f()
	}
}

// held returns the requests waiting in the queues of ns's revisions.
func (s *setup) held(ns string) int {
	n := 0
	s.dp.Throttler.RangeStats(func(k throttler.RevisionKey, st throttler.RevisionStats) {
		if k.Namespace == ns {
			n += st.Queued
		}
	})
	return n
}
