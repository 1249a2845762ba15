package resources

import (
	"os"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/golden"
)

func function() *servingv1alpha1.Function {
	return &servingv1alpha1.Function{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "team-a", UID: "fn-uid", Generation: 3,
			Labels: map[string]string{"on-function": "not copied"}},
		Spec: servingv1alpha1.FunctionSpec{
			Template: servingv1alpha1.RevisionTemplate{
				Metadata: servingv1alpha1.TemplateMetadata{
					Labels:      map[string]string{"app": "hello"},
					Annotations: map[string]string{"team": "a"},
				},
				Spec: servingv1alpha1.RevisionSpec{
					ContainerConcurrency: 10,
					TimeoutSeconds:       30,
					Containers: []servingv1alpha1.Container{{
						Image: "wake/hello:v1",
						Env:   []servingv1alpha1.EnvVar{{Name: "GREETING", Value: "Hello"}},
					}},
					Scaling: &servingv1alpha1.Scaling{MaxScale: ptr.To[int32](5)},
				},
			},
		},
	}
}

func TestMakeRevisionGolden(t *testing.T) {
	golden.AssertYAML(t, "revision.yaml", MakeRevision(function(), 7))
}

func TestTemplateHash(t *testing.T) {
	base := function()
	labelOnly := function()
	labelOnly.Labels["new"] = "label"
	labelOnly.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	envChanged := function()
	envChanged.Spec.Template.Spec.Containers[0].Env[0].Value = "Hi"
	templateLabel := function()
	templateLabel.Spec.Template.Metadata.Labels["app"] = "other"

	tests := []struct {
		name string
		fn   *servingv1alpha1.Function
		same bool
	}{
		{"function labels and history limit do not count", labelOnly, true},
		{"env change counts", envChanged, false},
		{"template label counts", templateLabel, false},
	}
	for _, tt := range tests {
		if got := TemplateHash(tt.fn) == TemplateHash(base); got != tt.same {
			t.Errorf("%s: same hash = %v, want %v", tt.name, got, tt.same)
		}
	}
}

// TestTemplateHashIsStable pins the hash of a template that sets every
// container and volume field. The hash is taken over the template's JSON, so
// a change of the API's Go types that changes that JSON would give every
// existing Function a new Revision on upgrade.
func TestTemplateHashIsStable(t *testing.T) {
	data, err := os.ReadFile("testdata/function-every-container-field.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fn := &servingv1alpha1.Function{}
	if err := yaml.UnmarshalStrict(data, fn); err != nil {
		t.Fatal(err)
	}
	const want = "f4221723cbb552c7"
	if got := TemplateHash(fn); got != want {
		t.Errorf("TemplateHash = %s, want %s", got, want)
	}
}

func TestRecordedTemplateHash(t *testing.T) {
	const (
		current = servingv1alpha1.TemplateHashAnnotationKey
		legacy  = servingv1alpha1.LegacyTemplateHashAnnotationKey
	)
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"current key", map[string]string{current: "aaaa"}, "aaaa"},
		{"legacy key, from before the upgrade", map[string]string{legacy: "bbbb"}, "bbbb"},
		{"both: the current key wins", map[string]string{current: "aaaa", legacy: "bbbb"}, "aaaa"},
		{"neither", map[string]string{"other": "x"}, ""},
		{"no annotations", nil, ""},
	}
	for _, tt := range tests {
		rev := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations}}
		if got := RecordedTemplateHash(rev); got != tt.want {
			t.Errorf("%s: RecordedTemplateHash = %q, want %q", tt.name, got, tt.want)
		}
	}
	// MakeRevision writes the key RecordedTemplateHash reads first.
	fn := function()
	if got := RecordedTemplateHash(MakeRevision(fn, 1)); got != TemplateHash(fn) {
		t.Errorf("RecordedTemplateHash(MakeRevision) = %q, want %q", got, TemplateHash(fn))
	}
}
