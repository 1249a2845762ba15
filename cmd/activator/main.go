// Command activator runs Wake's activator: the one proxy hop between clients
// and function pods, which buffers requests while a function wakes.
package main

import (
	"flag"
	"os"
	"time"

	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/internal/activator/app"
)

func main() {
	var o app.Options
	flag.StringVar(&o.Addr, "addr", ":8080", "address for function traffic")
	flag.IntVar(&o.PeerPort, "peer-port", 0, "data-plane port of the other activators, for forwarding (default: the port of --addr)")
	flag.StringVar(&o.AdminAddr, "admin-addr", ":9090", "address of /healthz, /readyz and /metrics")
	flag.StringVar(&o.AutoscalerAddress, "autoscaler", "wake-autoscaler.wake-system.svc:8090", "the autoscaler's stat server")
	flag.StringVar(&o.StatsTokenFile, "stats-token-file", envOr("STATS_TOKEN_FILE", "/var/run/secrets/wake.dev/stats/token"), "projected ServiceAccount token (audience wake-autoscaler) presented to the stat server")
	flag.StringVar(&o.SystemNamespace, "system-namespace", envOr("SYSTEM_NAMESPACE", "wake-system"), "Wake's namespace")
	flag.StringVar(&o.ActivatorService, "activator-service", "wake-activator", "the activators' Service")
	flag.StringVar(&o.PodName, "pod-name", envOr("POD_NAME", "activator"), "this pod's name")
	flag.StringVar(&o.PodIP, "pod-ip", os.Getenv("POD_IP"), "this pod's IP")
	flag.DurationVar(&o.DrainGrace, "drain-grace", 5*time.Second, "keep accepting this long after turning unready on SIGTERM")
	dev := flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
	flag.Parse()

	zcfg := zap.NewProductionConfig()
	if *dev {
		zcfg = zap.NewDevelopmentConfig()
	}
	z, err := zcfg.Build()
	if err != nil {
		panic(err)
	}
	o.Log = zapr.NewLogger(z)
	ctrl.SetLogger(o.Log)
	o.Kube = ctrl.GetConfigOrDie()

	if err := app.Run(ctrl.SetupSignalHandler(), o); err != nil {
		o.Log.Error(err, "activator stopped")
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
