package credentials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/poll"
)

func namespace(t *testing.T, name string) {
	t.Helper()
	err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// tenant is the namespace of the mirrored Secrets.
const tenant = "tenant-a"

// mirrorIs waits until the mirror of Secret name in tenant holds want
// (nil: is gone).
func mirrorIs(t *testing.T, name string, want map[string][]byte) {
	const ns = tenant
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	key := client.ObjectKey{Namespace: systemNamespace, Name: resolve.MirrorName(ns, name)}
	_, err := poll.Until(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		m := &corev1.Secret{}
		err := k8s.Get(ctx, key, m)
		switch {
		case want == nil && apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case want == nil:
			return fmt.Errorf("mirror still there")
		case !maps.EqualFunc(m.Data, want, bytes.Equal):
			return fmt.Errorf("mirror holds %x", m.Data)
		case m.Labels[LabelMirror] != servingv1alpha1.CredentialsMirrorLabelValue || m.Annotations[AnnotationNamespace] != ns || m.Annotations[AnnotationName] != name:
			return fmt.Errorf("mirror labels %v annotations %v", m.Labels, m.Annotations)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("mirror of %s/%s: %v", ns, name, err)
	}
}

// TestMirrorFollowsSecretAndRoutes: a Secret is mirrored as hashes once a
// Route names it, follows its rotation, and its mirror goes when the Route
// stops naming it, comes back, and goes when the Secret is deleted. A
// Secret no Route names is never mirrored.
func TestMirrorFollowsSecretAndRoutes(t *testing.T) {
	ctx := context.Background()
	namespace(t, systemNamespace)
	const ns = tenant
	namespace(t, ns)
	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"}, Data: map[string][]byte{"alice": []byte("a-1"), "bob": []byte("b-1")}}
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unrelated"}, Data: map[string][]byte{"x": []byte("y")}}
	for _, s := range []client.Object{src, other} {
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"},
		Spec: servingv1alpha1.RouteSpec{
			Hosts: []servingv1alpha1.Hostname{"api.example.com"},
			Rules: []servingv1alpha1.RouteRule{{Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "f", Percent: 100}}}},
			Policies: &servingv1alpha1.RoutePolicies{APIKeys: &servingv1alpha1.APIKeyPolicy{
				CredentialRefs: []servingv1alpha1.SecretRef{{Name: "clients"}}, Basic: true,
			}},
		},
	}
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	mirrorIs(t, "clients", map[string][]byte{"alice": hash("a-1"), "bob": hash("b-1")})

	src.Data = map[string][]byte{"alice": []byte("a-2"), "carol": []byte("c-1")}
	if err := k8s.Update(ctx, src); err != nil {
		t.Fatal(err)
	}
	mirrorIs(t, "clients", map[string][]byte{"alice": hash("a-2"), "carol": hash("c-1")})

	rt.Spec.Policies = nil
	if err := k8s.Update(ctx, rt); err != nil {
		t.Fatal(err)
	}
	mirrorIs(t, "clients", nil)

	rt.Spec.Rules[0].Policies = &servingv1alpha1.RoutePolicies{APIKeys: &servingv1alpha1.APIKeyPolicy{
		CredentialRefs: []servingv1alpha1.SecretRef{{Name: "clients"}}, Basic: true,
	}}
	if err := k8s.Update(ctx, rt); err != nil {
		t.Fatal(err)
	}
	mirrorIs(t, "clients", map[string][]byte{"alice": hash("a-2"), "carol": hash("c-1")})

	if err := k8s.Delete(ctx, src); err != nil {
		t.Fatal(err)
	}
	mirrorIs(t, "clients", nil)
	mirrorIs(t, "unrelated", nil)

	mirrors := &corev1.SecretList{}
	if err := k8s.List(ctx, mirrors, client.InNamespace(systemNamespace)); err != nil {
		t.Fatal(err)
	}
	if names := secretNames(mirrors); len(names) != 0 {
		t.Errorf("mirrors left: %v", names)
	}
}

func secretNames(l *corev1.SecretList) []string {
	var out []string
	for _, s := range l.Items {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}

// TestMirrorsPerNamespaceAreCapped: a namespace whose Routes name more
// Secrets than resolve.MaxSecretsPerNamespace gets that many mirrors, no more.
func TestMirrorsPerNamespaceAreCapped(t *testing.T) {
	ctx := context.Background()
	namespace(t, systemNamespace)
	const ns = "tenant-many"
	namespace(t, ns)
	refs := func(from, to int) []servingv1alpha1.SecretRef {
		var out []servingv1alpha1.SecretRef
		for i := from; i < to; i++ {
			out = append(out, servingv1alpha1.SecretRef{Name: fmt.Sprintf("s%02d", i)})
		}
		return out
	}
	for i := range resolve.MaxSecretsPerNamespace + 2 {
		create := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("s%02d", i)}, Data: map[string][]byte{"c": []byte("k")}}
		if err := k8s.Create(ctx, create); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(r []servingv1alpha1.SecretRef) *servingv1alpha1.RoutePolicies {
		return &servingv1alpha1.RoutePolicies{APIKeys: &servingv1alpha1.APIKeyPolicy{CredentialRefs: r, Basic: true}}
	}
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "many"},
		Spec: servingv1alpha1.RouteSpec{
			Hosts:    []servingv1alpha1.Hostname{"many.example.com"},
			Policies: keys(refs(0, 16)),
			Rules: []servingv1alpha1.RouteRule{
				{Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "f", Percent: 100}}},
				{Match: servingv1alpha1.RouteMatch{Path: &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchExact, Value: "/x"}},
					Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "f", Percent: 100}}, Policies: keys(refs(16, resolve.MaxSecretsPerNamespace+2))},
			},
		},
	}
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		mirrors := &corev1.SecretList{}
		if err := k8s.List(ctx, mirrors, client.InNamespace(systemNamespace)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range mirrors.Items {
			if m.Annotations[AnnotationNamespace] == ns {
				n++
			}
		}
		return n
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := poll.Until(wait, 50*time.Millisecond, func(context.Context) error {
		if n := count(); n != resolve.MaxSecretsPerNamespace {
			return fmt.Errorf("%d mirrors", n)
		}
		return nil
	}); err != nil {
		t.Fatalf("mirrors of %s: %v, want %d", ns, err, resolve.MaxSecretsPerNamespace)
	}
	poll.Sleep(ctx, 2*time.Second) // the two left over have been tried
	if n := count(); n != resolve.MaxSecretsPerNamespace {
		t.Errorf("%d mirrors after the cap was reached, want %d", n, resolve.MaxSecretsPerNamespace)
	}
}

// TestMirrorSaysHowManyClientsItLeavesOut: a Secret with more clients than
// resolve.MaxClientsPerSecret is mirrored with the first of them, and the
// mirror's annotation says how many are left out, until they fit again.
func TestMirrorSaysHowManyClientsItLeavesOut(t *testing.T) {
	ctx := context.Background()
	namespace(t, systemNamespace)
	const ns = "tenant-big"
	namespace(t, ns)
	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"}, Data: map[string][]byte{}}
	for i := range resolve.MaxClientsPerSecret + 2 {
		src.Data[fmt.Sprintf("c%04d", i)] = []byte("k")
	}
	if err := k8s.Create(ctx, src); err != nil {
		t.Fatal(err)
	}
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"},
		Spec: servingv1alpha1.RouteSpec{
			Hosts: []servingv1alpha1.Hostname{"big.example.com"},
			Rules: []servingv1alpha1.RouteRule{{Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "f", Percent: 100}}}},
			Policies: &servingv1alpha1.RoutePolicies{APIKeys: &servingv1alpha1.APIKeyPolicy{
				CredentialRefs: []servingv1alpha1.SecretRef{{Name: "big"}}, Basic: true,
			}},
		},
	}
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	dropped := func(want string) {
		t.Helper()
		wait, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		key := client.ObjectKey{Namespace: systemNamespace, Name: resolve.MirrorName(ns, "big")}
		if _, err := poll.Until(wait, 50*time.Millisecond, func(ctx context.Context) error {
			m := &corev1.Secret{}
			if err := k8s.Get(ctx, key, m); err != nil {
				return err
			}
			got, ok := m.Annotations[servingv1alpha1.CredentialsClientsDroppedAnnotationKey]
			switch {
			case len(m.Data) != min(len(src.Data), resolve.MaxClientsPerSecret):
				return fmt.Errorf("mirror holds %d clients", len(m.Data))
			case want == "" && ok:
				return fmt.Errorf("clients-dropped %q, want none", got)
			case got != want:
				return fmt.Errorf("clients-dropped %q, want %q", got, want)
			}
			return nil
		}); err != nil {
			t.Fatalf("mirror of %s/big: %v", ns, err)
		}
	}
	dropped("2")

	delete(src.Data, "c0000")
	delete(src.Data, "c0001")
	if err := k8s.Update(ctx, src); err != nil {
		t.Fatal(err)
	}
	dropped("")
}
