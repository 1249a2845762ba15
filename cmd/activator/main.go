// Command activator runs Wake's activator: the one proxy hop between clients
// and function pods, which buffers requests while a function wakes.
// "activator keep-listeners" runs the listener keeper beside it instead
// (package keeper).
package main

import (
	"flag"
	"os"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/internal/activator/app"
	"github.com/wakefn/wake/internal/cmdutil"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == keepListenersCommand {
		os.Exit(keepListeners(os.Args[2:]))
	}
	var o app.Options
	flag.StringVar(&o.Addr, "addr", ":8080", "address for function traffic")
	flag.IntVar(&o.PeerPort, "peer-port", 0, "data-plane port of the other activators, for forwarding (default: the port of --addr)")
	flag.StringVar(&o.RateLimitAddr, "rate-limit-addr", ":8081", "address where the other activators ask this one for rate-limit tokens (the same port on every activator)")
	flag.StringVar(&o.AdminAddr, "admin-addr", ":9090", "address of /healthz, /readyz and /metrics")
	flag.StringVar(&o.AutoscalerAddress, "autoscaler", "wake-autoscaler.wake-system.svc:8090", "the autoscaler's stat server")
	flag.StringVar(&o.StatsTokenFile, "stats-token-file", cmdutil.EnvOr("STATS_TOKEN_FILE", "/var/run/secrets/wake.dev/stats/token"), "projected ServiceAccount token (audience wake-autoscaler) presented to the stat server")
	flag.StringVar(&o.SystemNamespace, "system-namespace", cmdutil.EnvOr("SYSTEM_NAMESPACE", "wake-system"), "Wake's namespace")
	flag.StringVar(&o.ActivatorService, "activator-service", "wake-activator", "the activators' Service")
	flag.StringVar(&o.PodName, "pod-name", cmdutil.EnvOr("POD_NAME", "activator"), "this pod's name")
	flag.StringVar(&o.PodIP, "pod-ip", os.Getenv("POD_IP"), "this pod's IP")
	flag.StringVar(&o.KeeperSocket, "keeper-socket", os.Getenv("KEEPER_SOCKET"), "unix socket of the listener keeper (activator "+keepListenersCommand+") to take the --addr listener from; empty listens itself")
	flag.DurationVar(&o.KeeperWait, "keeper-wait", 30*time.Second, "how long to wait for the listener keeper to come up before failing")
	flag.DurationVar(&o.DrainGrace, "drain-grace", 5*time.Second, "keep accepting this long after turning unready on SIGTERM")
	dev := flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
	flag.Parse()

	o.Log = cmdutil.NewLogger(*dev)
	ctrl.SetLogger(o.Log)
	cmdutil.SetMemoryLimit(o.Log)
	o.Kube = ctrl.GetConfigOrDie()

	if err := app.Run(ctrl.SetupSignalHandler(), o); err != nil {
		o.Log.Error(err, "activator stopped")
		os.Exit(1)
	}
}
