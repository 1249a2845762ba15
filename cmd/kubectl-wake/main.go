// Command kubectl-wake is Wake's kubectl plugin: `kubectl wake status`,
// `usage`, `tenants`, `apikey create`, `triggers` and `trigger lag` (see
// internal/kubectlwake). Installed on the PATH, kubectl runs it as
// `kubectl wake`.
package main

import (
	"fmt"
	"os"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wakefn/wake/internal/kubectlwake"
)

func main() {
	// The client logs nothing a user needs; without a logger
	// controller-runtime would warn that none is set.
	ctrllog.SetLogger(logr.Discard())
	cmd := kubectlwake.New(kubectlwake.Options{
		Streams: genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
	})
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
