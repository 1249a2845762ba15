package validation

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	functionresources "github.com/wakefn/wake/controllers/function/resources"
	revisionresources "github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/testenv"
)

// TestValidFunctionsMakeValidChildren checks the other side of the
// refusals: a Function under test/testdata/valid is accepted, and so are the
// Revision, Deployment and Service Wake builds from it. A Function the API
// server accepts must never fail later at its Deployment.
func TestValidFunctionsMakeValidChildren(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "test", "testdata", "valid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid manifests found: %v", err)
	}
	ctx := context.Background()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fn := &servingv1alpha1.Function{}
			if err := yaml.UnmarshalStrict(data, fn); err != nil {
				t.Fatal(err)
			}
			fn.Namespace = "default"
			fn.Name = "valid-" + fn.Name
			create(ctx, t, fn)
			rev := functionresources.MakeRevision(fn, 1)
			create(ctx, t, rev)
			create(ctx, t, revisionresources.MakeDeployment(rev, config.Default()))
			create(ctx, t, revisionresources.MakeService(rev))
		})
	}
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
