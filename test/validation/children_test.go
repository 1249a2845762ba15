package validation

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	functionresources "github.com/wakefn/wake/controllers/function/resources"
	revisionresources "github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
)

// createChildren creates the Revision, Deployment and Service Wake builds
// from the Function obj, as the API server returned it: a Function the API
// server accepts must never fail later at its children.
func createChildren(ctx context.Context, t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	fn := &servingv1alpha1.Function{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, fn); err != nil {
		t.Fatalf("convert Function %s: %v", obj.GetName(), err)
	}
	rev := functionresources.MakeRevision(fn, 1)
	create(ctx, t, rev)
	create(ctx, t, revisionresources.MakeDeployment(rev, config.Default()))
	create(ctx, t, revisionresources.MakeService(rev))
}

// create creates o, which must be accepted, and deletes it when the test
// ends.
func create(ctx context.Context, t *testing.T, o client.Object) {
	t.Helper()
	if err := k8s.Create(ctx, o); err != nil {
		t.Fatalf("create %T %s: %v", o, o.GetName(), err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, o) })
}
