//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

const (
	// validParallel is how many files of the valid corpus are applied at
	// once.
	validParallel = 6
	// validBound is how long each file's Functions and Routes may take to
	// become Ready, from the creation of its namespace.
	validBound = 2 * time.Minute
)

// TestValidCorpus applies each file of test/testdata/valid in a namespace of
// its own, with strict field validation, and requires every Function and
// Route in it to become Ready within validBound. Files are applied
// validParallel at a time; two files asking for the same Route host take
// turns, since a host belongs to one Route in the whole cluster.
func TestValidCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(), "test", "testdata", "valid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in test/testdata/valid: %v", err)
	}
	docs := make([][]*unstructured.Unstructured, len(files))
	for i, f := range files {
		if docs[i], err = readManifests(f); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	results := make([]validResult, len(files))
	hosts := &hostLocks{}
	sem := make(chan struct{}, validParallel)
	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			unlock := hosts.lock(routeHosts(docs[i]))
			defer unlock()
			results[i] = applyValid(docs[i])
		}()
	}
	wg.Wait()
	t.Logf("%d files applied and checked in %s", len(files), time.Since(start).Round(time.Millisecond))

	for i, f := range files {
		r := results[i]
		t.Run(filepath.Base(f), func(t *testing.T) {
			if r.ns != "" {
				defer func() {
					if t.Failed() {
						dumpState(t, r.ns, r.start)
					}
					deleteNamespace(t, r.ns)
				}()
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			t.Logf("all %d of its Functions and Routes Ready %s after its namespace was created", r.checked, r.took.Round(time.Millisecond))
		})
	}
}

// validResult is what applyValid found for one file.
type validResult struct {
	// ns is the file's namespace, "" if none was created.
	ns    string
	start time.Time
	// checked is how many Functions and Routes became Ready; took is when
	// the last did.
	checked int
	took    time.Duration
	err     error
}

// applyValid creates objs in a new namespace and waits until every Function
// and Route among them is Ready, for at most validBound. Routes are
// deleted before it returns, so that their hosts are free for the next file
// (see hostLocks).
func applyValid(objs []*unstructured.Unstructured) (res validResult) {
	ctx, cancel := context.WithTimeout(context.Background(), validBound)
	defer cancel()
	res.start = time.Now()
	res.ns, res.err = createNamespace(ctx, "valid")
	if res.err != nil {
		return res
	}
	// The manifests' Routes use hosts under valid.test, which the domain
	// policy "claims" lets a namespace use only with a grant.
	grant := newGrant(res.ns, "valid.test", "*.valid.test")
	if res.err = suite.client.Create(ctx, grant); res.err != nil {
		return res
	}
	defer func() { _ = suite.client.Delete(context.Background(), grant) }()
	var created []*unstructured.Unstructured
	defer func() {
		if err := deleteRoutes(created); err != nil && res.err == nil {
			res.err = err
		}
	}()
	for _, o := range objs {
		o = o.DeepCopy()
		o.SetNamespace(res.ns)
		if err := suite.client.Create(ctx, o, client.FieldValidation("Strict")); err != nil {
			res.err = fmt.Errorf("create %s %s: %w", o.GetKind(), o.GetName(), err)
			return res
		}
		created = append(created, o)
	}

	_, err := poll.Until(ctx, pollInterval, func(ctx context.Context) error {
		var waiting []string
		for _, o := range created {
			if !servedByWake(o) {
				continue
			}
			if err := isReady(ctx, o); err != nil {
				waiting = append(waiting, fmt.Sprintf("%s %s: %v", o.GetKind(), o.GetName(), err))
			}
		}
		if len(waiting) > 0 {
			return errors.New(strings.Join(waiting, "; "))
		}
		return nil
	})
	if err != nil {
		res.err = fmt.Errorf("not Ready within %s: %w", validBound, err)
		return res
	}
	res.took = time.Since(res.start)
	for _, o := range created {
		if servedByWake(o) {
			res.checked++
		}
	}
	return res
}

// servedByWake reports whether o is a Function or a Route, whose Ready
// condition the corpus test waits for.
func servedByWake(o *unstructured.Unstructured) bool {
	gvk := o.GroupVersionKind()
	return gvk.Group == servingv1alpha1.GroupVersion.Group && (gvk.Kind == "Function" || gvk.Kind == "Route")
}

// isReady reads o again and returns nil if it is Ready for its current
// generation, or an error that describes its conditions.
func isReady(ctx context.Context, o *unstructured.Unstructured) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(o.GroupVersionKind())
	if err := suite.client.Get(ctx, client.ObjectKeyFromObject(o), u); err != nil {
		return err
	}
	var status duckv1.Status
	if raw, ok := u.Object["status"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &status); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	}
	return conditionIs(u.GetGeneration(), status, apis.ConditionReady, corev1.ConditionTrue)
}

// deleteRoutes deletes the Routes among objs and waits, for at most
// 30 s, until they are gone.
func deleteRoutes(objs []*unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, o := range objs {
		if o.GetKind() != "Route" {
			continue
		}
		if err := suite.client.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete Route %s: %w", o.GetName(), err)
		}
		_, err := poll.Until(ctx, pollInterval, func(ctx context.Context) error {
			err := suite.client.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopy())
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err == nil {
				return errors.New("still there")
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("Route %s not gone: %w", o.GetName(), err)
		}
	}
	return nil
}

// readManifests splits a YAML file into objects, as test/validation does.
func readManifests(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s holds no object", path)
	}
	return objs, nil
}

// routeHosts returns the hosts the Routes among objs ask for, sorted.
func routeHosts(objs []*unstructured.Unstructured) []string {
	var hosts []string
	for _, o := range objs {
		if o.GetKind() != "Route" {
			continue
		}
		hs, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "hosts")
		hosts = append(hosts, hs...)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// hostLocks holds one lock per Route host.
type hostLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// lock takes the locks of hosts, which must be sorted (so that two callers
// cannot wait on each other), and returns what releases them.
func (h *hostLocks) lock(hosts []string) (unlock func()) {
	var held []*sync.Mutex
	for _, host := range hosts {
		h.mu.Lock()
		if h.locks == nil {
			h.locks = map[string]*sync.Mutex{}
		}
		l := h.locks[host]
		if l == nil {
			l = &sync.Mutex{}
			h.locks[host] = l
		}
		h.mu.Unlock()
		l.Lock()
		held = append(held, l)
	}
	return func() {
		for _, l := range held {
			l.Unlock()
		}
	}
}
