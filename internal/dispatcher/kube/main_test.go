package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/twmb/franz-go/pkg/kfake"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/dispatcher/consumers"
	"github.com/wakefn/wake/internal/testenv"
)

var (
	// k8s talks to the envtest API server directly.
	k8s client.Client
	// broker is an in-process Kafka with the topic "orders" (3 partitions);
	// the suite's triggers that name no broker use it.
	broker *kfake.Cluster
	// fn is the stand-in for the activator: it records what each Function
	// host received and answers as that host's behaviour says.
	fn = &functions{got: map[string][]string{}}
)

// maxTriggers is the suite's dispatcher's MaxTriggersPerNamespace.
const maxTriggers = 2

// functions answers deliveries by host: a host starting with "fail-"
// answers 500, any other 200; it records each delivery's ce-id.
type functions struct {
	mu  sync.Mutex
	got map[string][]string
}

func (f *functions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	f.got[r.Host] = append(f.got[r.Host], r.Header.Get("ce-id"))
	f.mu.Unlock()
	if strings.HasPrefix(r.Host, "fail-") {
		http.Error(w, "always failing", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// received returns the ce-ids host received.
func (f *functions) received(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[host]...)
}

// TestMain starts Kafka, the function stand-in, an API server and a
// manager running the dispatcher's controllers, then the tests.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	broker, err = kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer broker.Close()
	activator := httptest.NewServer(fn)
	defer activator.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := consumers.New(ctx, logr.Discard(), nil)
	defer func() { cancel(); reg.Wait() }()
	return testenv.RunSuite(m, testenv.Suite{
		Setup: func(mgr ctrl.Manager) error {
			return Setup(mgr, reg, Options{
				ActivatorURL: activator.URL, EmbeddedBroker: broker.ListenAddrs()[0],
				StatusResync: 200 * time.Millisecond, SecretResync: time.Second, MaxTriggersPerNamespace: maxTriggers,
			})
		},
		Ready: func(_ *testenv.Env, c client.Client) { k8s = c },
	})
}
