package kube

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/dispatcher/consumers"
)

// Defaults of Options.
const (
	// DefaultActivatorURL is where deliveries go: the activators' Service.
	DefaultActivatorURL = "http://wake-activator.wake-system.svc"
	// DefaultEmbeddedBroker is the embedded development broker's address,
	// for triggers that name no broker.
	DefaultEmbeddedBroker = "wake-broker.wake-system.svc:9092"
	// DefaultStatusResync is how often a trigger's status is refreshed.
	DefaultStatusResync = 5 * time.Second
	// DefaultSecretResync is how often a trigger's Secrets are read again.
	DefaultSecretResync = time.Minute
	// DefaultMaxTriggersPerNamespace bounds the triggers of one namespace
	// that the dispatcher consumes: each holds a Kafka client with its
	// fetch buffers on every replica.
	DefaultMaxTriggersPerNamespace = 20
	// RecorderName is the name the dispatcher records events under.
	RecorderName = "wake-dispatcher"
)

// Options are the dispatcher's settings; the zero value takes the defaults.
type Options struct {
	// ActivatorURL is where deliveries are sent, with each Function's host.
	ActivatorURL string
	// EmbeddedBroker is the bootstrap address of triggers that name no
	// broker.
	EmbeddedBroker string
	// HTTPClient sends deliveries; nil means DefaultHTTPClient().
	HTTPClient *http.Client
	// MaxTriggersPerNamespace bounds the triggers consumed per namespace,
	// the oldest first; 0 means DefaultMaxTriggersPerNamespace.
	MaxTriggersPerNamespace int
	// StatusResync and SecretResync: see the defaults.
	StatusResync, SecretResync time.Duration
	// Log is the consumers' logger.
	Log logr.Logger
}

func (o Options) withDefaults() Options {
	if o.ActivatorURL == "" {
		o.ActivatorURL = DefaultActivatorURL
	}
	if o.EmbeddedBroker == "" {
		o.EmbeddedBroker = DefaultEmbeddedBroker
	}
	if o.HTTPClient == nil {
		o.HTTPClient = DefaultHTTPClient()
	}
	if o.MaxTriggersPerNamespace <= 0 {
		o.MaxTriggersPerNamespace = DefaultMaxTriggersPerNamespace
	}
	if o.StatusResync <= 0 {
		o.StatusResync = DefaultStatusResync
	}
	if o.SecretResync <= 0 {
		o.SecretResync = DefaultSecretResync
	}
	return o
}

// functionIndex indexes KafkaTriggers by spec.function.
const functionIndex = "spec.function"

// Setup adds both controllers to mgr: consumers on every replica, status on
// the leader.
func Setup(mgr ctrl.Manager, reg *consumers.Registry, opts Options) error {
	opts = opts.withDefaults()
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &servingv1alpha1.KafkaTrigger{}, functionIndex, func(o client.Object) []string {
		return []string{o.(*servingv1alpha1.KafkaTrigger).Spec.Function}
	}); err != nil {
		return fmt.Errorf("index kafkatriggers by function: %w", err)
	}
	byFunction := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		var list servingv1alpha1.KafkaTriggerList
		if err := mgr.GetClient().List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{functionIndex: o.GetName()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, len(list.Items))
		for i := range list.Items {
			reqs[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}
		}
		return reqs
	})
	cr := &ConsumerReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Registry: reg, Options: opts}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("kafkatrigger-consumer").
		For(&servingv1alpha1.KafkaTrigger{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&servingv1alpha1.Function{}, byFunction).
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false)}).
		Complete(cr); err != nil {
		return fmt.Errorf("set up kafkatrigger consumer controller: %w", err)
	}
	sr := &StatusReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder(RecorderName), Registry: reg, Resync: opts.StatusResync}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("kafkatrigger-status").
		For(&servingv1alpha1.KafkaTrigger{}, builder.WithPredicates(reconciler.OwnStatusFilter)).
		Watches(&servingv1alpha1.Function{}, byFunction).
		Complete(sr); err != nil {
		return fmt.Errorf("set up kafkatrigger status controller: %w", err)
	}
	return nil
}
