package kubectlwake

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// secretBytes is the entropy of a generated client secret: 256 bits,
// written in 43 characters of unpadded base64url, which travel as they are
// in a header, a query parameter and Basic credentials.
const secretBytes = 32

// clientIDPattern is what a client ID may be: a key of a Secret's data, as
// servingv1alpha1.ClientID validates it.
var clientIDPattern = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// errClientExists is returned when the client is in the Secret already and
// --rotate was not given.
var errClientExists = errors.New("client exists")

// newAPIKeyCommand returns `apikey create`.
func newAPIKeyCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "apikey",
		Aliases: []string{"apikeys"},
		Short:   "Manage the client credentials a Route's apiKeys policy reads",
	}
	var secret string
	var rotate bool
	create := &cobra.Command{
		Use:   "create [ROUTE] CLIENT-ID",
		Short: "Create (or with --rotate, replace) a client's secret and print it once",
		Long: `Create a client in the credential Secret a Route's apiKeys policy names
(spec.policies.apiKeys.credentialRefs, or a rule's): a random secret
(256 bits, base64url) is written under the client ID in the Secret's data,
the Secret created when missing, and the secret printed once, alone, on
standard output; what was done goes to standard error.

The Route picks the Secret when it names one; name it with --secret when it
names several, or to write a Secret without a Route. An existing client is
not overwritten unless --rotate: then its old secret is refused as soon as
the activators see the change (within seconds). To rotate without refusing
a request, create a second client, move the callers, then delete the old
key from the Secret.

The Secret holds the secret in the clear, like any Secret; Wake's controller
mirrors only its SHA-256 to the activators.`,
		Example: `  kubectl wake apikey create api website
  KEY=$(kubectl wake apikey create api acme --rotate)
  kubectl wake apikey create --secret api-clients trial-42`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			route, id := "", args[len(args)-1]
			if len(args) == 2 {
				route = args[0]
			} else if secret == "" {
				return errors.New("name the Route (kubectl wake apikey create ROUTE CLIENT-ID) or the Secret (--secret NAME)")
			}
			return e.createAPIKey(cmd.Context(), route, secret, id, rotate)
		},
	}
	create.Flags().StringVar(&secret, "secret", "", "the credential Secret to write (default: the one the Route's apiKeys policy names)")
	create.Flags().BoolVar(&rotate, "rotate", false, "replace the secret of a client that exists (its old secret stops working)")
	cmd.AddCommand(create)
	return cmd
}

// createAPIKey writes client id with a new secret into the Secret, named
// or the one Route route names, and prints the secret once.
func (e *env) createAPIKey(ctx context.Context, route, secret, id string, rotate bool) error {
	if len(id) > 253 || !clientIDPattern.MatchString(id) {
		return fmt.Errorf("client ID %q is not valid: at most 253 letters, digits, '-', '_' and '.' (a key of a Secret's data)", id)
	}
	c, ns, err := e.setup()
	if err != nil {
		return err
	}
	var rt *servingv1alpha1.Route
	if route != "" {
		rt = &servingv1alpha1.Route{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: route}, rt); err != nil {
			return readErr(err, "route", ns, route)
		}
		if secret, err = routeSecret(rt, secret, &printer{w: e.err}); err != nil {
			return err
		}
	}
	raw := make([]byte, secretBytes)
	if _, err := io.ReadFull(e.rand, raw); err != nil {
		return fmt.Errorf("generate a secret: %w", err)
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	created, replaced, err := writeClient(ctx, c, client.ObjectKey{Namespace: ns, Name: secret}, id, value, rotate)
	switch {
	case errors.Is(err, errClientExists):
		return fmt.Errorf("client %q exists in Secret %s/%s: pass --rotate to replace its secret (the old one then stops working)", id, ns, secret)
	case err != nil:
		return err
	}
	what := "created in"
	switch {
	case replaced:
		what = "rotated in"
	case created:
		what = "created in the new"
	}
	// Notes on the error output: a failure to write them does not undo
	// the write, and the secret must still be printed.
	notes := &printer{w: e.err}
	notes.printf("Client %q %s Secret %s/%s.\n", id, what, ns, secret)
	if rt != nil {
		if how := howToSend(rt, secret, id); how != "" {
			notes.printf("Route %s takes it %s.\n", rt.Name, how)
		}
	}
	notes.println("Its secret is printed once, below: keep it now (the Secret holds it; the activators only its SHA-256).")
	_, err = fmt.Fprintln(e.out, value)
	return err
}

// routeSecret returns the credential Secret to write for rt: secret when
// given (with a warning on w when rt does not name it), else the one rt's
// apiKeys policies name.
func routeSecret(rt *servingv1alpha1.Route, secret string, notes *printer) (string, error) {
	named := resolve.CredentialSecretNames(rt)
	switch {
	case secret != "":
		if !slices.Contains(named, secret) {
			notes.printf("Warning: Route %s's apiKeys policies do not name Secret %s: add it to credentialRefs for the Route to accept the client.\n", rt.Name, secret)
		}
		return secret, nil
	case len(named) == 1:
		return named[0], nil
	case len(named) == 0:
		return "", fmt.Errorf("route %s has no apiKeys policy naming a credential Secret: add one (spec.policies.apiKeys.credentialRefs) or name the Secret with --secret", rt.Name)
	}
	return "", fmt.Errorf("route %s names several credential Secrets (%s): choose one with --secret", rt.Name, strings.Join(named, ", "))
}

// writeClient sets data[id] = value in Secret key, creating the Secret when
// missing, and reports whether it created the Secret or replaced a secret.
// An existing id is errClientExists unless rotate. A conflicting write is
// retried on the Secret as it is then.
func writeClient(ctx context.Context, c client.Client, key client.ObjectKey, id, value string, rotate bool) (created, replaced bool, err error) {
	err = retry.OnError(retry.DefaultRetry, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		created, replaced = false, false
		s := &corev1.Secret{}
		err := c.Get(ctx, key, s)
		if apierrors.IsNotFound(err) {
			s = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
				Type:       corev1.SecretTypeOpaque,
				Data:       map[string][]byte{id: []byte(value)},
			}
			created = true
			return c.Create(ctx, s)
		}
		if err != nil {
			return err
		}
		if _, exists := s.Data[id]; exists {
			if !rotate {
				return errClientExists
			}
			replaced = true
		}
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		s.Data[id] = []byte(value)
		return c.Update(ctx, s)
	})
	if err != nil && !errors.Is(err, errClientExists) {
		return false, false, fmt.Errorf("write client %q into Secret %s: %w", id, key, err)
	}
	return created, replaced, err
}

// howToSend says where rt's rules that read Secret secret take client id's
// credential: headers, query parameters, Basic.
func howToSend(rt *servingv1alpha1.Route, secret, id string) string {
	var ways []string
	add := func(w string) {
		if !slices.Contains(ways, w) {
			ways = append(ways, w)
		}
	}
	for i := range max(len(rt.Spec.Rules), 1) {
		p := rt.Spec.RulePolicies(i).APIKeys
		if p == nil || !slices.ContainsFunc(p.CredentialRefs, func(r servingv1alpha1.SecretRef) bool { return r.Name == secret }) {
			continue
		}
		for _, from := range p.ExtractFrom {
			for _, h := range from.Headers {
				if strings.EqualFold(string(h), "Authorization") {
					add("in the header Authorization: Bearer <secret>")
				} else {
					add("in the header " + string(h) + ": <secret>")
				}
			}
			for _, q := range from.Params {
				add("in the query parameter " + q + "=<secret>")
			}
		}
		if p.Basic {
			add("as Basic credentials " + id + ":<secret>")
		}
	}
	return strings.Join(ways, ", or ")
}
