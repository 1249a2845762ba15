package kerrors

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestIsRefusal(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	quota := apierrors.NewForbidden(gr, "hello", errors.New("exceeded quota: team, requested: count/deployments.apps=1, "+
		"used: count/deployments.apps=1, limited: count/deployments.apps=1"))
	tests := []struct {
		name         string
		err          error
		refusal      bool
		quotaRefusal bool
	}{
		{"nil", nil, false, false},
		{"quota", quota, true, true},
		{"wrapped quota", fmt.Errorf("create deployment: %w", quota), true, true},
		{"quota status not counted yet", apierrors.NewForbidden(gr, "hello", errors.New("status unknown for quota: team")), true, false},
		{"webhook denial", apierrors.NewForbidden(gr, "hello", errors.New(`admission webhook "p" denied the request`)), true, false},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "hello",
			field.ErrorList{field.Required(field.NewPath("spec"), "")}), true, false},
		{"bad request", apierrors.NewBadRequest("no"), true, false},
		{"too large", apierrors.NewRequestEntityTooLargeError("limit is 3145728"), true, false},
		{"conflict", apierrors.NewConflict(gr, "hello", errors.New("modified")), false, false},
		{"already exists", apierrors.NewAlreadyExists(gr, "hello"), false, false},
		{"timeout", apierrors.NewServerTimeout(gr, "create", 1), false, false},
		{"throttled", apierrors.NewTooManyRequests("slow down", 1), false, false},
		{"webhook unreachable", apierrors.NewInternalError(errors.New(`failed calling webhook "p"`)), false, false},
		{"not from the API server", errors.New("connection refused"), false, false},
	}
	for _, tt := range tests {
		if got := IsRefusal(tt.err); got != tt.refusal {
			t.Errorf("%s: IsRefusal = %v, want %v", tt.name, got, tt.refusal)
		}
		if got := IsQuotaExceeded(tt.err); got != tt.quotaRefusal {
			t.Errorf("%s: IsQuotaExceeded = %v, want %v", tt.name, got, tt.quotaRefusal)
		}
	}
}
