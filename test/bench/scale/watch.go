//go:build e2e

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

// listPage is how many objects one list request returns at most.
const listPage = 500

// state is what the watches have seen of the bench namespaces: when each
// Function was first Ready, and which Deployments lag. It holds a few
// words per object, never the objects.
type state struct {
	mu sync.Mutex
	// readyAt is when a watch event first showed the Function (ns/name)
	// Ready.
	readyAt map[string]time.Time
	// lagging says, per Deployment (ns/name), whether its status's
	// observedGeneration is behind its generation.
	lagging map[string]bool
	// changed gets a value (without blocking) when readyAt grows.
	changed chan struct{}
}

func newState() *state {
	return &state{readyAt: map[string]time.Time{}, lagging: map[string]bool{}, changed: make(chan struct{}, 1)}
}

// counts returns how many Functions are Ready, how many Deployments exist
// and how many of those lag.
func (s *state) counts() (ready, deployments, lagging int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lagging {
		if l {
			lagging++
		}
	}
	return len(s.readyAt), len(s.lagging), lagging
}

// readyCount returns how many Functions have been seen Ready.
func (s *state) readyCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.readyAt)
}

// ready returns when the Function was first seen Ready.
func (s *state) ready(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.readyAt[key]
	return t, ok
}

func (s *state) function(fn *servingv1alpha1.Function, _ bool, now time.Time) {
	if !fn.Status.IsReady() {
		return
	}
	key := fn.Namespace + "/" + fn.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.readyAt[key]; seen {
		return
	}
	s.readyAt[key] = now
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *state) deployment(d *appsv1.Deployment, deleted bool, _ time.Time) {
	key := d.Namespace + "/" + d.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if deleted {
		delete(s.lagging, key)
		return
	}
	s.lagging[key] = d.Status.ObservedGeneration < d.Generation
}

// watchAll follows the Functions and the Deployments of every namespace
// in state until ctx ends.
func (s *state) watchAll(ctx context.Context, c client.WithWatch, namespaces []string) {
	for _, ns := range namespaces {
		go follow(ctx, c, ns, func() client.ObjectList { return &servingv1alpha1.FunctionList{} }, s.function)
		go follow(ctx, c, ns, func() client.ObjectList { return &appsv1.DeploymentList{} }, s.deployment)
	}
}

// follow lists the objects of one kind in ns and then watches them,
// calling handle for every object it sees with the time it saw it, until
// ctx ends. A watch that ends is resumed from the last resource version
// seen; when that has expired, it lists again.
func follow[T client.Object](ctx context.Context, c client.WithWatch, ns string, newList func() client.ObjectList, handle func(T, bool, time.Time)) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			var err error
			if rv, err = listAll(ctx, c, ns, newList, handle); err != nil {
				warn(ctx, "list %T in %s: %v", newList(), ns, err)
				poll.Sleep(ctx, time.Second)
				continue
			}
		}
		w, err := c.Watch(ctx, newList(), &client.ListOptions{Namespace: ns, Raw: &metav1.ListOptions{
			ResourceVersion: rv, AllowWatchBookmarks: true,
		}})
		if err != nil {
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				rv = ""
			}
			warn(ctx, "watch %T in %s: %v", newList(), ns, err)
			poll.Sleep(ctx, time.Second)
			continue
		}
		rv = drain(w, rv, handle)
	}
}

// drain handles the events of w until it ends, and returns the resource
// version to resume from ("" to list again).
func drain[T client.Object](w watch.Interface, rv string, handle func(T, bool, time.Time)) string {
	defer w.Stop()
	for ev := range w.ResultChan() {
		now := time.Now()
		if ev.Type == watch.Error {
			if err := apierrors.FromObject(ev.Object); apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return ""
			}
			return rv
		}
		o, ok := ev.Object.(T)
		if !ok {
			continue
		}
		rv = o.GetResourceVersion()
		if ev.Type != watch.Bookmark {
			handle(o, ev.Type == watch.Deleted, now)
		}
	}
	return rv
}

// listAll lists every object of the kind in ns a page at a time, handles
// each, and returns the list's resource version.
func listAll[T client.Object](ctx context.Context, c client.WithWatch, ns string, newList func() client.ObjectList, handle func(T, bool, time.Time)) (string, error) {
	cont := ""
	for {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(ns), client.Limit(listPage), client.Continue(cont)); err != nil {
			return "", err
		}
		now := time.Now()
		if err := meta.EachListItem(list, func(o runtime.Object) error {
			t, ok := o.(T)
			if !ok {
				return fmt.Errorf("list item %T", o)
			}
			handle(t, false, now)
			return nil
		}); err != nil {
			return "", err
		}
		if cont = list.GetContinue(); cont == "" {
			return list.GetResourceVersion(), nil
		}
	}
}

// warn prints a warning unless ctx has ended (then errors are expected).
func warn(ctx context.Context, format string, args ...any) {
	if ctx.Err() != nil {
		return
	}
	fmt.Fprintf(os.Stderr, "warning: "+format+"\n", args...)
}

// errTimeout says a wait ran out of time.
var errTimeout = errors.New("timed out")
