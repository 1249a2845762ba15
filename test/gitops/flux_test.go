package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
)

// healthCheckExpr is one item of a Flux Kustomization's
// spec.healthCheckExprs.
type healthCheckExpr struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	InProgress string `json:"inProgress,omitempty"`
	Failed     string `json:"failed,omitempty"`
	Current    string `json:"current"`
}

// errNoStatus is what evaluating an expression gives for an object that
// has no status: Flux reports such an object Unknown and keeps waiting.
var errNoStatus = errors.New("no status to evaluate")

// fluxEvaluate reads obj with expr the way Flux's kustomize-controller
// does (fluxcd/pkg/runtime/cel, RFC 0009): InProgress while
// status.observedGeneration, when present, differs from metadata.generation;
// then the first of inProgress, failed and current that is true; InProgress
// when none is. The expressions are parsed, not type-checked, in Flux's CEL
// environment (optional types, the strings, sets and encoders extensions),
// and see the object's top-level fields as variables.
func fluxEvaluate(obj *unstructured.Unstructured, expr healthCheckExpr) (status.Status, error) {
	og, hasOG, err := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	if err != nil {
		return "", err
	}
	if hasOG && og != obj.GetGeneration() {
		return status.InProgressStatus, nil
	}
	env, err := cel.NewEnv(
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(), ext.Sets(), ext.Encoders(),
	)
	if err != nil {
		return "", err
	}
	for _, e := range []struct {
		src string
		st  status.Status
	}{{expr.InProgress, status.InProgressStatus}, {expr.Failed, status.FailedStatus}, {expr.Current, status.CurrentStatus}} {
		if e.src == "" {
			continue
		}
		ast, iss := env.Parse(e.src)
		if iss.Err() != nil {
			return "", fmt.Errorf("parse %q: %w", e.src, iss.Err())
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(100))
		if err != nil {
			return "", err
		}
		val, _, err := prg.ContextEval(context.Background(), obj.Object)
		if err != nil {
			if _, ok := obj.Object["status"]; !ok {
				return status.UnknownStatus, fmt.Errorf("%w: %v", errNoStatus, err)
			}
			return "", fmt.Errorf("evaluate %q: %w", e.src, err)
		}
		b, ok := val.(types.Bool)
		if !ok {
			return "", fmt.Errorf("%q is not a boolean", e.src)
		}
		if b {
			return e.st, nil
		}
	}
	return status.InProgressStatus, nil
}

// readHealthCheckExprs reads config/flux/health-check-exprs.yaml.
func readHealthCheckExprs(t *testing.T) map[string]healthCheckExpr {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "flux", "health-check-exprs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		HealthCheckExprs []healthCheckExpr `json:"healthCheckExprs"`
	}
	if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
		t.Fatal(err)
	}
	byKind := map[string]healthCheckExpr{}
	for _, e := range doc.HealthCheckExprs {
		if e.APIVersion != servingv1alpha1.GroupVersion.String() {
			t.Errorf("%s: apiVersion %s, want %s", e.Kind, e.APIVersion, servingv1alpha1.GroupVersion)
		}
		byKind[e.Kind] = e
	}
	return byKind
}

// TestFluxHealthCheckExprs checks that with config/flux's expressions Flux
// reads every Argo CD test case as Argo CD does: Healthy is Current,
// Degraded Failed, Progressing InProgress, except that an object with no
// status yet is Unknown (Flux keeps waiting, as for InProgress).
func TestFluxHealthCheckExprs(t *testing.T) {
	exprs := readHealthCheckExprs(t)
	kinds := rootKinds(t)
	for _, kind := range kinds {
		if _, ok := exprs[kind]; !ok {
			t.Errorf("config/flux/health-check-exprs.yaml has no expressions for %s", kind)
		}
	}
	for kind := range exprs {
		if !slices.Contains(kinds, kind) {
			t.Errorf("config/flux/health-check-exprs.yaml has expressions for %s, which Wake does not have", kind)
		}
	}
	for _, c := range allCases(t) {
		t.Run(c.name(), func(t *testing.T) {
			expr, ok := exprs[c.kind]
			if !ok {
				t.Skip("no expressions")
			}
			got, err := fluxEvaluate(c.obj, expr)
			hasOG, _ := observed(c.obj)
			_, hasReady := readyCondition(c.obj)
			if c.want.Status == progressing && !hasOG && !hasReady {
				if !errors.Is(err, errNoStatus) {
					t.Fatalf("Flux = %s, %v; want Unknown: the object has no status to evaluate", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]status.Status{
				healthy: status.CurrentStatus, degraded: status.FailedStatus, progressing: status.InProgressStatus,
			}[c.want.Status]
			if got != want {
				t.Errorf("Flux = %s, want %s for Argo CD's %s", got, want, c.want.Status)
			}
		})
	}
}
