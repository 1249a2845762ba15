// Package consumers keeps the dispatcher's running Kafka consumers, one per
// KafkaTrigger, and turns their backlog into demand for the autoscaler.
// What belongs here: starting, replacing and stopping consumers, and
// reading their state; nothing about Kubernetes objects.
package consumers

import (
	"context"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

// Spec is what a trigger's consumer runs with.
type Spec struct {
	// Config is the consumer's configuration.
	Config delivery.Config
	// Hash identifies Config and what it was built from (the trigger's
	// generation, the Secrets' versions): a Spec with another hash
	// replaces the running consumer.
	Hash string
	// Revision is the revision the trigger's messages reach, whose backlog
	// Demand reports; the zero value reports none.
	Revision types.NamespacedName
}

// Registry holds the running consumers. Create with New; it is safe for
// concurrent use.
type Registry struct {
	ctx  context.Context
	log  logr.Logger
	poke func(types.NamespacedName)

	mu      sync.Mutex
	running map[types.NamespacedName]*run
	// problems are triggers that run no consumer, and why.
	problems map[types.NamespacedName]error
	wg       sync.WaitGroup
}

type run struct {
	spec     Spec
	consumer *delivery.Consumer
	cancel   context.CancelFunc
	done     chan struct{}
}

// New returns a Registry whose consumers run until ctx ends. poke, if set,
// is called with a trigger's revision as soon as messages wait while none
// are in flight (delivery.Config.OnBacklog), so a revision at zero is woken
// at once; it must not block.
func New(ctx context.Context, log logr.Logger, poke func(types.NamespacedName)) *Registry {
	return &Registry{ctx: ctx, log: log, poke: poke, running: map[types.NamespacedName]*run{}, problems: map[types.NamespacedName]error{}}
}

// Ensure runs trigger's consumer with spec: it starts one if none runs,
// replaces one whose hash differs, and leaves an equal one alone. It
// returns New's error for a configuration the consumer refuses; the
// trigger then runs none.
func (r *Registry) Ensure(trigger types.NamespacedName, spec Spec) error {
	r.mu.Lock()
	cur := r.running[trigger]
	if cur != nil && cur.spec.Hash == spec.Hash {
		cur.spec.Revision = spec.Revision
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	r.Stop(trigger, nil)

	cfg := spec.Config
	if r.poke != nil && spec.Revision.Name != "" {
		rev := spec.Revision
		cfg.OnBacklog = func() { r.poke(rev) }
	}
	c, err := delivery.New(cfg)
	if err != nil {
		r.Stop(trigger, err)
		return err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	ru := &run{spec: spec, consumer: c, cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	r.running[trigger] = ru
	delete(r.problems, trigger)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(ru.done)
		r.log.Info("consumer started", "trigger", trigger.String(), "group", cfg.Group, "topics", cfg.Topics)
		if err := c.Run(ctx); err != nil {
			r.log.Error(err, "consumer stopped", "trigger", trigger.String())
			return
		}
		r.log.Info("consumer stopped", "trigger", trigger.String())
	}()
	return nil
}

// Stop stops trigger's consumer, if one runs, and waits until it has
// committed what it delivered and left its group. why, if not nil, is
// kept as the reason the trigger runs none (Problem).
func (r *Registry) Stop(trigger types.NamespacedName, why error) {
	r.mu.Lock()
	cur := r.running[trigger]
	delete(r.running, trigger)
	if why != nil {
		r.problems[trigger] = why
	} else {
		delete(r.problems, trigger)
	}
	r.mu.Unlock()
	if cur != nil {
		cur.cancel()
		<-cur.done
	}
}

// Status returns the state of trigger's consumer, if one runs.
func (r *Registry) Status(trigger types.NamespacedName) (delivery.Status, bool) {
	r.mu.Lock()
	cur := r.running[trigger]
	r.mu.Unlock()
	if cur == nil {
		return delivery.Status{}, false
	}
	return cur.consumer.Status(), true
}

// Problem returns why trigger runs no consumer, as given to Stop or
// returned by Ensure; nil if it runs one or was stopped without a reason.
func (r *Registry) Problem(trigger types.NamespacedName) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.problems[trigger]
}

// Len returns the number of running consumers.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

// Wait waits until every consumer has stopped, after the Registry's
// context ended.
func (r *Registry) Wait() { r.wg.Wait() }
