package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// sampleFunction reads config/samples/function.yaml.
func sampleFunction(t *testing.T, ns string) *servingv1alpha1.Function {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "function.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fn := &servingv1alpha1.Function{}
	if err := yaml.UnmarshalStrict(data, fn); err != nil {
		t.Fatal(err)
	}
	fn.Namespace = ns
	return fn
}

func revisionNames(ctx context.Context, ns string) ([]string, error) {
	list := &servingv1alpha1.RevisionList{}
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var names []string
	for _, r := range list.Items {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names, nil
}

func wantRevisions(ns string, want ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		got, err := revisionNames(ctx, ns)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("revisions = %v, want %v", got, want)
		}
		return nil
	}
}

func TestSampleFunctionLifecycle(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "sample")
	fn := sampleFunction(t, ns)
	if err := k8s.Create(ctx, fn); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, waitTimeout, "first revision", wantRevisions(ns, "hello-00001"))

	rev := &servingv1alpha1.Revision{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hello-00001"}, rev); err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(rev, fn) {
		t.Errorf("revision is not controlled by the function: %+v", rev.OwnerReferences)
	}
	testutil.Eventually(t, waitTimeout, "deployment and headless service owned by the revision", func(ctx context.Context) error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hello-00001"}, d); err != nil {
			return err
		}
		if !metav1.IsControlledBy(d, rev) {
			return fmt.Errorf("deployment owners = %+v", d.OwnerReferences)
		}
		s := &corev1.Service{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "hello-00001"}, s); err != nil {
			return err
		}
		if !metav1.IsControlledBy(s, rev) || s.Spec.ClusterIP != corev1.ClusterIPNone {
			return fmt.Errorf("service owners = %+v, clusterIP %q", s.OwnerReferences, s.Spec.ClusterIP)
		}
		return nil
	})

	// Editing an env var makes the next revision.
	update(t, fn, func(f *servingv1alpha1.Function) {
		f.Spec.Template.Spec.Containers[0].Env[0].Value = "Howdy"
	})
	testutil.Eventually(t, waitTimeout, "second revision", wantRevisions(ns, "hello-00001", "hello-00002"))

	// Editing a label, or a spec field outside the template, does not.
	update(t, fn, func(f *servingv1alpha1.Function) {
		f.Labels = map[string]string{"team": "a"}
		f.Spec.RevisionHistoryLimit = ptr.To[int32](5)
	})
	testutil.Eventually(t, waitTimeout, "function observes the edit", func(ctx context.Context) error {
		got := &servingv1alpha1.Function{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(fn), got); err != nil {
			return err
		}
		if got.Status.ObservedGeneration != got.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", got.Status.ObservedGeneration, got.Generation)
		}
		return nil
	})
	if err := wantRevisions(ns, "hello-00001", "hello-00002")(ctx); err != nil {
		t.Error(err)
	}
}

// update applies mutate to the latest version of fn, retrying on conflicts.
func update(t *testing.T, fn *servingv1alpha1.Function, mutate func(*servingv1alpha1.Function)) {
	t.Helper()
	testutil.Eventually(t, waitTimeout, "update function", func(context.Context) error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(fn), fn); err != nil {
			return err
		}
		mutate(fn)
		return k8s.Update(context.Background(), fn)
	})
}

func TestGetFunctionShowsURLAndReady(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "columns")
	if err := k8s.Create(ctx, sampleFunction(t, ns)); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		t.Fatal(err)
	}
	// kubectl get asks the server for a Table; so do we.
	testutil.Eventually(t, waitTimeout, "table with URL and Ready", func(ctx context.Context) error {
		raw, err := cs.RESTClient().Get().AbsPath("/apis/serving.wake.dev/v1alpha1/namespaces", ns, "functions").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			return err
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			return err
		}
		cols := map[string]int{}
		for i, c := range table.ColumnDefinitions {
			cols[c.Name] = i
		}
		if len(table.Rows) != 1 {
			return fmt.Errorf("%d rows", len(table.Rows))
		}
		cells := table.Rows[0].Cells
		ui, uok := cols["URL"]
		ri, rok := cols["Ready"]
		if !uok || !rok {
			return fmt.Errorf("columns = %v", cols)
		}
		if cells[ui] != "http://hello."+ns+".example.com" {
			return fmt.Errorf("URL cell = %v", cells[ui])
		}
		if cells[ri] != string(corev1.ConditionUnknown) {
			return fmt.Errorf("Ready cell = %v", cells[ri])
		}
		return nil
	})
}
