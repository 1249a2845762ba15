// Package kubectlwake is the kubectl plugin kubectl-wake: what Wake's
// objects say, read the way a person asks it. `status` tells why a Function
// or Route is not ready in one sentence, with its revisions, traffic and
// last cold start; `usage` shows a Function's metered use per day;
// `tenants` the TenantPolicies' namespaces with their limits and use;
// `apikey create` writes a client into a Route's credential Secret; and
// `triggers` and `trigger lag` show KafkaTriggers and how far behind they
// are.
//
// It reads through the user's own kubeconfig with kubectl's usual flags
// (k8s.io/cli-runtime's ConfigFlags), writes to the io.Writers of its
// Options, and returns its errors: cmd/kubectl-wake prints them and exits
// non-zero.
package kubectlwake

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/scheme"
)

// Options are what the commands write to and read the time and randomness
// from. Zero fields take the process's own: the clock and crypto/rand.
type Options struct {
	// Streams are the commands' input, output and error output. Results
	// go to Out; notes for a person (what apikey create did) to ErrOut.
	Streams genericiooptions.IOStreams
	// Now is the clock ages are measured with.
	Now func() time.Time
	// Rand is where apikey create reads a new secret's bytes.
	Rand io.Reader
}

// env is what every command uses: the kubeconfig flags and Options.
type env struct {
	flags *genericclioptions.ConfigFlags
	out   io.Writer
	err   io.Writer
	now   func() time.Time
	rand  io.Reader
}

// New returns the kubectl-wake command with its subcommands and kubectl's
// flags (--kubeconfig, --context, -n, ...).
func New(o Options) *cobra.Command {
	e := &env{
		flags: genericclioptions.NewConfigFlags(true),
		out:   o.Streams.Out, err: o.Streams.ErrOut,
		now: o.Now, rand: o.Rand,
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	root := &cobra.Command{
		Use:   "kubectl-wake",
		Short: "Read and operate Wake's Functions, Routes, tenants, API keys and triggers",
		Long: `kubectl wake tells what Wake's objects say: why a Function or Route is not
ready, its revisions, traffic and last cold start; a Function's metered
usage; each tenant's limits and use; KafkaTrigger lag. It also creates the
client credentials a Route's apiKeys policy reads.

It uses your kubeconfig and kubectl's flags (-n, --context, --kubeconfig).`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl wake"},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	e.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(
		newStatusCommand(e),
		newUsageCommand(e),
		newTenantsCommand(e),
		newAPIKeyCommand(e),
		newTriggersCommand(e),
		newTriggerCommand(e),
	)
	return root
}

// client returns a client of the cluster the flags name, knowing Wake's
// kinds.
func (e *env) client() (client.Client, error) {
	cfg, err := e.flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("connect to the cluster: %w", err)
	}
	return c, nil
}

// namespace returns the namespace the flags or the kubeconfig's context
// name ("default" without either).
func (e *env) namespace() (string, error) {
	ns, _, err := e.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("read the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// setup returns the client and namespace a namespaced command needs.
func (e *env) setup() (client.Client, string, error) {
	ns, err := e.namespace()
	if err != nil {
		return nil, "", err
	}
	c, err := e.client()
	if err != nil {
		return nil, "", err
	}
	return c, ns, nil
}

// readErr turns the error of reading one object, kind ns/name (ns empty for
// a cluster-scoped kind), into one a person acts on: not found, Wake not
// installed, or what the API server said.
func readErr(err error, kind, ns, name string) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err) && ns != "":
		return fmt.Errorf("%s %q not found in namespace %q", kind, name, ns)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s %q not found", kind, name)
	}
	return listErr(err, kind)
}

// listErr is readErr for reading several objects of kind.
func listErr(err error, kind string) error {
	if err == nil {
		return nil
	}
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("the cluster does not serve Wake's %s kind: is Wake installed? (%w)", kind, err)
	}
	return fmt.Errorf("read %s: %w", kind, err)
}
