package kube

import (
	"fmt"

	"github.com/go-logr/logr"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/internal/autoscaler/statauth"
)

// newAuthenticator builds the stat server's token checker on mgr's REST
// config: it sends TokenReviews as the controller, which needs create on
// authentication.k8s.io tokenreviews and nothing more.
func newAuthenticator(mgr ctrl.Manager, opts Options, clk clock.PassiveClock, log logr.Logger) (*statauth.Authenticator, error) {
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
	c, err := authenticationv1client.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("TokenReview client: %w", err)
	}
	a, err := statauth.New(statauth.Options{
		Reviews:   c.TokenReviews(),
		Usernames: []string{"system:serviceaccount:" + ns + ":" + sa, "system:serviceaccount:" + ns + ":" + dsa},
		Clock:     clk,
		Log:       log,
	})
	if err != nil {
		return nil, fmt.Errorf("stat authenticator: %w", err)
	}
	return a, nil
}
