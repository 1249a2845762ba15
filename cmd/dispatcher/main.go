// Command dispatcher runs Wake's Kafka dispatcher: it consumes the topics of
// every KafkaTrigger and delivers each message to its Function through the
// activator.
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/internal/cmdutil"
	"github.com/wakefn/wake/internal/dispatcher/app"
	"github.com/wakefn/wake/internal/dispatcher/kube"
)

func main() {
	var o app.Options
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":9090", "address of the Prometheus metrics endpoint")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	flag.BoolVar(&o.LeaderElect, "leader-elect", true, "elect the replica that writes KafkaTrigger status (every replica consumes)")
	flag.StringVar(&o.SystemNamespace, "system-namespace", cmdutil.EnvOr("SYSTEM_NAMESPACE", "wake-system"), "namespace of the leader lease")
	flag.StringVar(&o.PodName, "pod-name", cmdutil.EnvOr("POD_NAME", "dispatcher"), "this pod's name")
	flag.StringVar(&o.AutoscalerAddress, "autoscaler", "wake-autoscaler.wake-system.svc:8090", "the autoscaler's stat server")
	flag.StringVar(&o.StatsTokenFile, "stats-token-file", cmdutil.EnvOr("STATS_TOKEN_FILE", "/var/run/secrets/wake.dev/stats/token"), "projected ServiceAccount token (audience wake-autoscaler) presented to the stat server")
	flag.StringVar(&o.Dispatch.ActivatorURL, "activator-url", kube.DefaultActivatorURL, "where messages are delivered, with each Function's host")
	flag.StringVar(&o.Dispatch.EmbeddedBroker, "embedded-broker", kube.DefaultEmbeddedBroker, "bootstrap address of the embedded development broker, for triggers that name no broker")
	flag.IntVar(&o.Dispatch.MaxTriggersPerNamespace, "max-triggers-per-namespace", kube.DefaultMaxTriggersPerNamespace, "KafkaTriggers consumed per namespace, the oldest first; the others say TooManyTriggers")
	dev := flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
	flag.Parse()

	o.Log = cmdutil.NewLogger(*dev)
	ctrl.SetLogger(o.Log)
	cmdutil.SetMemoryLimit(o.Log)
	o.Kube = ctrl.GetConfigOrDie()
	if err := app.Run(ctrl.SetupSignalHandler(), o); err != nil {
		o.Log.Error(err, "dispatcher stopped")
		os.Exit(1)
	}
}
