package function

import (
	"context"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
)

// configSource enqueues every Function whenever wake-config changes, so
// their URLs follow the domain.
func configSource(c client.Client, store *config.Store) source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		store.Subscribe(func(*config.Config) {
			fns := &servingv1alpha1.FunctionList{}
			if err := c.List(ctx, fns); err != nil {
				log.FromContext(ctx).Error(err, "list functions after a wake-config change")
				return
			}
			for _, fn := range fns.Items {
				q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&fn)})
			}
		})
		return nil
	})
}
