package kerrors

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// UpdateStatus writes obj's status subresource when the status changed
// (before and after compared with equality.Semantic), and reports whether
// it wrote. A conflict is no error (see IgnoreConflict); another failure is
// returned naming kind and the object.
func UpdateStatus(ctx context.Context, c client.Client, kind string, obj client.Object, before, after any) (bool, error) {
	if equality.Semantic.DeepEqual(before, after) {
		return false, nil
	}
	err := c.Status().Update(ctx, obj)
	if err == nil {
		return true, nil
	}
	if IgnoreConflict(err) == nil {
		return false, nil
	}
	return false, fmt.Errorf("update status of %s %s: %w", kind, client.ObjectKeyFromObject(obj), err)
}
