package kubectlwake

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestReadErr(t *testing.T) {
	gr := schema.GroupResource{Group: "serving.wake.dev", Resource: "functions"}
	noKind := &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "serving.wake.dev", Kind: "Function"}, SearchedVersions: []string{"v1alpha1"}}
	tests := []struct {
		name, ns string
		err      error
		want     string
	}{
		{"not found", "team-a", apierrors.NewNotFound(gr, "hello"), `function "hello" not found in namespace "team-a"`},
		{"not found, cluster-scoped", "", apierrors.NewNotFound(gr, "hello"), `function "hello" not found`},
		{"Wake not installed", "team-a", noKind, "the cluster does not serve Wake's function kind: is Wake installed? (" + noKind.Error() + ")"},
		{"anything else", "team-a", errors.New("connection refused"), "read function: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readErr(tt.err, "function", tt.ns, "hello"); got == nil || got.Error() != tt.want {
				t.Errorf("got %v\nwant %s", got, tt.want)
			}
		})
	}
	if readErr(nil, "function", "team-a", "hello") != nil {
		t.Error("a nil error is not nil")
	}
}
