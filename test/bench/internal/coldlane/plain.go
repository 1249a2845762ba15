package coldlane

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// Scale sets Deployment ns/name's replicas with a merge patch.
func Scale(ctx context.Context, c client.Client, ns, name string, n int32) error {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, n)
	if err := c.Patch(ctx, d, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("scale %s to %d: %w", name, n, err)
	}
	return nil
}

// Quiesce scales the plain Deployment ns/plain to 0 and waits, up to
// timeout each, until it and every Deployment of others have no replicas
// and no pods (AtZero with AnyPod), polling every interval.
func Quiesce(ctx context.Context, c client.Client, ns, plain string, timeout, interval time.Duration, others ...string) error {
	if err := Scale(ctx, c, ns, plain, 0); err != nil {
		return err
	}
	for _, name := range append([]string{plain}, others...) {
		wait, cancel := context.WithTimeout(ctx, timeout)
		_, err := poll.Until(wait, interval, AtZero(c, ns, name, AnyPod))
		cancel()
		if err != nil {
			return fmt.Errorf("%s at zero: %w", name, err)
		}
	}
	return nil
}

// ScaleToEndpoint scales the plain Deployment ns/name 0 → 1 and waits
// until its Service's EndpointSlice has a ready endpoint: the plain lane
// of the cold-start benchmarks. The watch is opened before scaling; start
// is when the scale request was sent, end when the ready endpoint was seen.
func ScaleToEndpoint(ctx context.Context, c client.WithWatch, ns, name string) (start, end time.Time, err error) {
	w, err := c.Watch(ctx, &discoveryv1.EndpointSliceList{},
		client.InNamespace(ns), client.MatchingLabels{discoveryv1.LabelServiceName: name})
	if err != nil {
		return start, end, fmt.Errorf("watch endpointslices: %w", err)
	}
	defer w.Stop()
	start = time.Now()
	if err := Scale(ctx, c, ns, name, 1); err != nil {
		return start, end, err
	}
	for {
		select {
		case <-ctx.Done():
			return start, end, fmt.Errorf("no ready endpoint: %w", ctx.Err())
		case ev, ok := <-w.ResultChan():
			if !ok {
				return start, end, errors.New("endpointslice watch closed")
			}
			es, isES := ev.Object.(*discoveryv1.EndpointSlice)
			if !isES || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			if _, ready := ReadyAddress(es); ready {
				return start, time.Now(), nil
			}
		}
	}
}
