// Command broker runs wake-broker, a single-node Kafka broker for
// development clusters (package broker): `make dev` installs it so that
// KafkaTriggers work without a Kafka. Production points triggers at a real
// Kafka.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"github.com/wakefn/wake/internal/broker"
	"github.com/wakefn/wake/internal/cmdutil"
)

func main() {
	var o broker.Options
	flag.StringVar(&o.Listen, "listen", ":9092", "address to listen on for Kafka clients")
	flag.StringVar(&o.Advertise, "advertise", "", "host:port clients are told to connect to (default: $POD_NAME.$SERVICE at the port of --listen when both are set, else the --listen address, which must then name a host)")
	flag.StringVar(&o.DataDir, "data-dir", "/var/lib/wake-broker", "folder of the topics, records and committed offsets, kept across restarts (empty: in memory only)")
	flag.BoolVar(&o.SyncWrites, "sync-writes", false, "fsync every write before answering (without it, writes survive a crash of the broker but not of the node)")
	flag.IntVar(&o.Partitions, "partitions", broker.DefaultPartitions, "partitions of the topics the broker creates: auto-created ones and --topics")
	flag.BoolVar(&o.AutoCreateTopics, "auto-create-topics", true, "create a topic when a client asks for a missing one, as producers do")
	topics := flag.String("topics", "", "comma-separated topics to create at start unless they exist")
	dev := flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
	flag.Parse()

	o.Topics = broker.ParseTopics(*topics)
	if o.Advertise == "" {
		o.Advertise = broker.DefaultAdvertise(os.Getenv("POD_NAME"), os.Getenv("SERVICE"), o.Listen)
	}
	o.Log = cmdutil.NewLogger(*dev)
	cmdutil.SetMemoryLimit(o.Log)

	// The first SIGTERM or interrupt stops the broker cleanly; stop()
	// restores the default handling, so a second one kills it at once.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := broker.Run(ctx, o); err != nil {
		o.Log.Error(err, "broker failed")
		os.Exit(1)
	}
}
