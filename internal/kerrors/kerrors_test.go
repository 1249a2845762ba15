package kerrors

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestIgnoreConflict(t *testing.T) {
	gr := schema.GroupResource{Group: "serving.wake.dev", Resource: "functions"}
	other := errors.New("boom")
	tests := []struct {
		in, want error
	}{
		{nil, nil},
		{apierrors.NewConflict(gr, "hello", errors.New("modified")), nil},
		{other, other},
		{apierrors.NewNotFound(gr, "hello"), apierrors.NewNotFound(gr, "hello")},
	}
	for _, tt := range tests {
		got := IgnoreConflict(tt.in)
		if (got == nil) != (tt.want == nil) || (got != nil && got.Error() != tt.want.Error()) {
			t.Errorf("IgnoreConflict(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
