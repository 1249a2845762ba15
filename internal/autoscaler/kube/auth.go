package kube

import (
	"fmt"

	"github.com/go-logr/logr"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/internal/autoscaler/statauth"
)

// identities are the user names of the ServiceAccounts whose pod-bound
// tokens may report stats: the activators' and the dispatchers'.
func identities(opts Options) (activator, dispatcher string) {
	ns, sa, dsa := opts.SystemNamespace, opts.ActivatorServiceAccount, opts.DispatcherServiceAccount
	if ns == "" {
		ns = DefaultSystemNamespace
	}
	if sa == "" {
		sa = DefaultActivatorServiceAccount
	}
	if dsa == "" {
		dsa = DefaultDispatcherServiceAccount
	}
	return "system:serviceaccount:" + ns + ":" + sa, "system:serviceaccount:" + ns + ":" + dsa
}

// newAuthenticator builds the stat server's token checker on mgr's REST
// config: it sends TokenReviews as the controller, which needs create on
// authentication.k8s.io tokenreviews and nothing more.
func newAuthenticator(mgr ctrl.Manager, opts Options, clk clock.PassiveClock, log logr.Logger) (*statauth.Authenticator, error) {
	c, err := authenticationv1client.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("TokenReview client: %w", err)
	}
	activator, dispatcher := identities(opts)
	a, err := statauth.New(statauth.Options{
		Reviews:   c.TokenReviews(),
		Usernames: []string{activator, dispatcher},
		Clock:     clk,
		Log:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("stat authenticator: %w", err)
	}
	return a, nil
}
