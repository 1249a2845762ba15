//go:build e2e

package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
)

const (
	// runLabel labels every namespace a run creates with the run's id.
	runLabel = "bench.wake.dev/run"
	greeting = "scale"
	// createAttempts bounds the tries of one create that fails for a
	// reason other than the object existing.
	createAttempts = 8
)

// layout places the Functions: Function i is fnName(i) in
// namespaces[i/perNamespace].
type layout struct {
	id           string
	n            int
	perNamespace int
}

func (l layout) namespaces() []string {
	out := make([]string, 0, (l.n+l.perNamespace-1)/l.perNamespace)
	for i := 0; i < l.n; i += l.perNamespace {
		out = append(out, fmt.Sprintf("bench-scale-%s-%d", l.id, i/l.perNamespace))
	}
	return out
}

func (l layout) plainNamespace() string { return "bench-scale-" + l.id + "-plain" }

func (l layout) fn(i int) (ns, name string) {
	return fmt.Sprintf("bench-scale-%s-%d", l.id, i/l.perNamespace), fmt.Sprintf("fn-%05d", i)
}

func (l layout) key(i int) string {
	ns, name := l.fn(i)
	return ns + "/" + name
}

func plainName(i int) string { return fmt.Sprintf("plain-%02d", i) }

// createNamespaces creates the namespaces, labelled with the run's id.
func createNamespaces(ctx context.Context, c client.Client, id string, names ...string) error {
	for _, name := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{runLabel: id}}}
		if err := c.Create(ctx, ns); err != nil {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	return nil
}

// createPlain creates n plain Deployments at 0 replicas and their Services.
func createPlain(ctx context.Context, c client.Client, ns string, n int) error {
	for i := range n {
		for _, o := range []client.Object{coldlane.PlainDeployment(ns, plainName(i), greeting), coldlane.PlainService(ns, plainName(i))} {
			if err := c.Create(ctx, o); err != nil {
				return fmt.Errorf("create %T %s/%s: %w", o, ns, o.GetName(), err)
			}
		}
	}
	return nil
}

// creation is the outcome of creating the Functions.
type creation struct {
	// createdAt[i] is when the create of Function i returned.
	createdAt []time.Time
	// took is from the first create sent to the last returned.
	took time.Duration
	// retries counts creates sent again after an error.
	retries int64
}

// created counts the creates that have returned so far; the time series
// reads it while createFunctions runs.
var created atomic.Int64

// createFunctions creates the layout's Functions at zero, with the given
// stable window, with writers concurrent creates. A create that fails is retried with backoff; one
// that still fails ends the run.
func createFunctions(ctx context.Context, c client.Client, l layout, writers int, stableWindow time.Duration) (creation, error) {
	out := creation{createdAt: make([]time.Time, l.n)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	var retries atomic.Int64
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for i := range next {
				ns, name := l.fn(i)
				n, err := createOne(ctx, c, coldlane.Function(ns, name, greeting, ptr.To[int32](0), stableWindow))
				retries.Add(int64(n))
				if err != nil {
					cancel(fmt.Errorf("create function %s/%s: %w", ns, name, err))
					return
				}
				out.createdAt[i] = time.Now()
				created.Add(1)
			}
		})
	}
feed:
	for i := range l.n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	out.took, out.retries = time.Since(start), retries.Load()
	if err := context.Cause(ctx); err != nil {
		return out, err
	}
	return out, nil
}

// createOne creates o, trying again after errors other than AlreadyExists
// (an earlier try that timed out may have created it), and returns how
// many times it tried again.
func createOne(ctx context.Context, c client.Client, o client.Object) (int, error) {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := c.Create(ctx, o.DeepCopyObject().(client.Object))
		if err == nil || apierrors.IsAlreadyExists(err) {
			return attempt, nil
		}
		if ctx.Err() != nil || attempt+1 == createAttempts {
			return attempt, err
		}
		poll.Sleep(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
}
