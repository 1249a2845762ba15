package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/dispatcher/brokerauth"
	"github.com/wakefn/wake/internal/dispatcher/consumers"
	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

// ConsumerReconciler keeps one consumer running per KafkaTrigger, on every
// dispatcher replica: the replicas share each trigger's partitions through
// its consumer group.
type ConsumerReconciler struct {
	// Client reads KafkaTriggers and Functions from the cache.
	Client client.Client
	// Reader reads Secrets from the API server: tenants' Secrets are not
	// cached, and only those a trigger names are read.
	Reader client.Reader
	// Registry runs the consumers.
	Registry *consumers.Registry
	// Options are the dispatcher's settings.
	Options Options
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=kafkatriggers,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Reconcile starts, replaces or stops req's consumer. A trigger whose
// Function has no URL yet, or whose Secrets cannot be used, runs none (the
// status shows why); the Secrets are read again every SecretResync, so a
// fixed or rotated Secret is picked up without a change to the trigger.
func (r *ConsumerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var kt servingv1alpha1.KafkaTrigger
	if err := r.Client.Get(ctx, req.NamespacedName, &kt); err != nil {
		if apierrors.IsNotFound(err) {
			r.Registry.Stop(req.NamespacedName, nil)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get kafkatrigger %s: %w", req.NamespacedName, err)
	}
	if !kt.DeletionTimestamp.IsZero() {
		r.Registry.Stop(req.NamespacedName, nil)
		return ctrl.Result{}, nil
	}
	spec, err := r.spec(ctx, &kt)
	var p *Problem
	switch {
	case errors.As(err, &p):
		r.Registry.Stop(req.NamespacedName, p)
		return ctrl.Result{RequeueAfter: r.Options.SecretResync}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	if err := r.Registry.Ensure(req.NamespacedName, spec); err != nil {
		// The API's validation should have refused what the consumer does.
		return ctrl.Result{}, fmt.Errorf("start consumer of %s: %w", req.NamespacedName, err)
	}
	return ctrl.Result{RequeueAfter: r.Options.SecretResync}, nil
}

// spec builds kt's consumer: a *Problem when its Function or Secrets do not
// allow one, another error when they could not be read.
func (r *ConsumerReconciler) spec(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) (consumers.Spec, error) {
	var fn servingv1alpha1.Function
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: kt.Namespace, Name: kt.Spec.Function}, &fn)
	switch {
	case apierrors.IsNotFound(err):
		return consumers.Spec{}, &Problem{Condition: servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, Reason: servingv1alpha1.ReasonFunctionMissing,
			Message: fmt.Sprintf("not consuming: Function %s does not exist", kt.Spec.Function), Waiting: true}
	case err != nil:
		return consumers.Spec{}, fmt.Errorf("get function %s/%s: %w", kt.Namespace, kt.Spec.Function, err)
	case fn.Status.URL == nil || fn.Status.URL.Host == "":
		return consumers.Spec{}, &Problem{Condition: servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, Reason: servingv1alpha1.ReasonFunctionNotReady,
			Message: fmt.Sprintf("not consuming: Function %s has no URL yet", kt.Spec.Function), Waiting: true}
	}
	if err := r.withinNamespaceLimit(ctx, kt); err != nil {
		return consumers.Spec{}, err
	}
	opts, versions, err := r.clientOptions(ctx, kt)
	if err != nil {
		return consumers.Spec{}, err
	}
	brokers := []string{r.Options.EmbeddedBroker}
	if kt.Spec.Broker != nil {
		brokers = kt.Spec.Broker.BootstrapServers
	}
	cfg := Config(kt, brokers, r.Options.ActivatorURL, fn.Status.URL.Host)
	cfg.ClientOpts, cfg.HTTPClient = opts, r.Options.HTTPClient
	cfg.Log = r.Options.Log.WithValues("trigger", kt.Namespace+"/"+kt.Name)
	return consumers.Spec{
		Config:   cfg,
		Hash:     hash(kt.Generation, fn.Status.URL.Host, strings.Join(brokers, ","), versions),
		Revision: types.NamespacedName{Namespace: kt.Namespace, Name: fn.Status.LatestReadyRevisionName},
	}, nil
}

// withinNamespaceLimit returns a *Problem when kt is not among the
// MaxTriggersPerNamespace oldest triggers of its namespace (then by name),
// so that one tenant cannot make the shared dispatcher hold any number of
// Kafka clients. A trigger over the limit is consumed once older ones go:
// every trigger is reconciled again each SecretResync.
func (r *ConsumerReconciler) withinNamespaceLimit(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) error {
	var list servingv1alpha1.KafkaTriggerList
	if err := r.Client.List(ctx, &list, client.InNamespace(kt.Namespace)); err != nil {
		return fmt.Errorf("list kafkatriggers in %s: %w", kt.Namespace, err)
	}
	older := 0
	for i := range list.Items {
		o := &list.Items[i]
		if o.Name != kt.Name && o.DeletionTimestamp.IsZero() && olderThan(o, kt) {
			older++
		}
	}
	if older < r.Options.MaxTriggersPerNamespace {
		return nil
	}
	return &Problem{Condition: servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, Reason: servingv1alpha1.ReasonTooManyTriggers,
		Message: fmt.Sprintf("not consuming: namespace %s has %d older triggers, and the dispatcher consumes at most %d per namespace", kt.Namespace, older, r.Options.MaxTriggersPerNamespace)}
}

// olderThan orders triggers by creation, then by name.
func olderThan(a, b *servingv1alpha1.KafkaTrigger) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// clientOptions reads the Secrets kt's broker names and returns the client
// options they give, and their resource versions.
func (r *ConsumerReconciler) clientOptions(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) ([]kgo.Opt, string, error) {
	b := kt.Spec.Broker
	if b == nil {
		return nil, "", nil
	}
	var saslSecret, tlsSecret *corev1.Secret
	var versions []string
	read := func(name string) (*corev1.Secret, error) {
		var s corev1.Secret
		err := r.Reader.Get(ctx, types.NamespacedName{Namespace: kt.Namespace, Name: name}, &s)
		switch {
		case apierrors.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("get secret %s/%s: %w", kt.Namespace, name, err)
		}
		versions = append(versions, name+"@"+s.ResourceVersion)
		return &s, nil
	}
	var err error
	if b.SASL != nil {
		if saslSecret, err = read(b.SASL.SecretName); err != nil {
			return nil, "", err
		}
	}
	if b.TLS != nil && b.TLS.SecretName != "" {
		if tlsSecret, err = read(b.TLS.SecretName); err != nil {
			return nil, "", err
		}
	}
	opts, err := brokerauth.Options(b, saslSecret, tlsSecret)
	if err != nil {
		reason := servingv1alpha1.ReasonSecretInvalid
		var be *brokerauth.Error
		if errors.As(err, &be) && be.Key == "" {
			reason = servingv1alpha1.ReasonSecretMissing
		}
		return nil, "", &Problem{Condition: servingv1alpha1.KafkaTriggerConditionBrokerReachable, Reason: reason, Message: err.Error()}
	}
	return opts, strings.Join(versions, ","), nil
}

// Config is the consumer configuration kt asks for, delivering to
// activatorURL with the Function's host: a pure builder.
func Config(kt *servingv1alpha1.KafkaTrigger, brokers []string, activatorURL, host string) delivery.Config {
	topics := make([]string, len(kt.Spec.Topics))
	for i, t := range kt.Spec.Topics {
		topics[i] = string(t)
	}
	minB, maxB := kt.Spec.Retry.BackoffOrDefault()
	return delivery.Config{
		Name:            kt.Namespace + "/" + kt.Name,
		Brokers:         brokers,
		Topics:          topics,
		Group:           kt.ConsumerGroupName(),
		StartAtEarliest: kt.Spec.StartingOffset == servingv1alpha1.KafkaStartingOffsetEarliest,
		Ordered:         kt.Spec.Delivery.Ordering != servingv1alpha1.KafkaOrderingUnordered,
		MaxInFlight:     kt.Spec.Delivery.MaxInFlightOrDefault(),
		MaxBatch:        kt.Spec.Delivery.MaxBatchOrDefault(),
		Attempts:        kt.Spec.Retry.AttemptsOrDefault(),
		MinBackoff:      minB,
		MaxBackoff:      maxB,
		Timeout:         kt.Spec.Delivery.TimeoutOrDefault(),
		DeadLetterTopic: string(kt.Spec.DeadLetterTopic),
		ReplyTopic:      string(kt.Spec.ReplyTopic),
		URL:             activatorURL,
		Host:            host,
	}
}

// hash identifies a consumer's configuration: the trigger's generation
// covers its spec, the rest what it was resolved with.
func hash(generation int64, parts ...string) string {
	h := sha256.New()
	h.Write(strconv.AppendInt(nil, generation, 10))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// DefaultHTTPClient is the client deliveries use: connections to the
// activators are kept and reused; each attempt is bounded by the trigger's
// timeout, not here.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
