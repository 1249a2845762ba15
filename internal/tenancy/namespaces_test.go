package tenancy

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNamespacesOf(t *testing.T) {
	got := NamespacesOf([]metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"t": "1"}}}})
	if len(got) != 1 || got[0].Name != "a" || got[0].Labels["t"] != "1" {
		t.Errorf("NamespacesOf = %+v", got)
	}
}
