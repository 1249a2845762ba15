// Package broker runs wake-broker: a single-node Kafka broker for
// development clusters, so that KafkaTriggers work on a laptop or the local
// cluster of `make dev` without installing Kafka. Production clusters point
// their triggers at a real Kafka.
//
// The broker is franz-go's kfake, an in-process Kafka that speaks the wire
// protocol (produce, fetch, consumer groups, transactions, admin requests),
// started with one node and a data folder: topics, records, committed
// offsets and producer state are written there as they change and reloaded
// when a broker starts on the same folder, so they survive a restart of the
// broker's pod. It has no replication and no authentication; do not use it
// for anything that matters.
//
// kfake advertises the address of its listener, which is always 127.0.0.1;
// the broker replaces that listener so that clients in other pods are told
// Options.Advertise instead (see listener.go).
package broker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// ClusterID is the cluster ID a new data folder gets and clients see in
// metadata responses. A folder keeps the ID it was created with.
const ClusterID = "wake-broker"

// Broker is a running broker. Close stops it.
type Broker struct {
	cluster   *kfake.Cluster
	listener  *listenOnce
	advertise string
	dataDir   string

	closeOnce sync.Once
	closeErr  error
}

// Start validates o, loads o.DataDir if it holds a broker's data, starts
// listening on o.Listen, creates the missing o.Topics and returns the
// running broker.
func Start(o Options) (*Broker, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.DataDir != "" {
		if err := checkWritable(o.DataDir); err != nil {
			return nil, err
		}
	}
	ln := &listenOnce{addr: o.Listen, advertise: o.Advertise}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(ln.listen),
		kfake.WithLogger(kfakeLogger{log: o.Log.WithName("kfake")}),
		kfake.ClusterID(ClusterID),
		kfake.DefaultNumPartitions(o.partitions()),
	}
	if o.AutoCreateTopics {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if o.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start kfake: %w", err)
	}
	b := &Broker{cluster: c, listener: ln, advertise: o.Advertise, dataDir: o.DataDir}
	if b.advertise == "" {
		b.advertise = ln.bound()
	}
	// Topics are created here rather than with kfake.SeedTopics, which
	// kfake applies only to an empty data folder: a topic added to -topics
	// later must be created too.
	seen := make(map[string]bool, len(o.Topics))
	for _, t := range o.Topics {
		if seen[t] {
			continue
		}
		seen[t] = true
		if c.TopicInfo(t) != nil {
			o.Log.V(1).Info("topic exists", "topic", t)
			continue
		}
		if err := c.CreateTopic(t, int32(o.partitions()), nil); err != nil {
			return nil, errors.Join(fmt.Errorf("create topic %q: %w", t, err), b.Close())
		}
		o.Log.Info("created topic", "topic", t, "partitions", o.partitions())
	}
	return b, nil
}

// Addr returns the address the broker listens on, with the port it was
// given if Options.Listen asked for port 0.
func (b *Broker) Addr() string { return b.listener.bound() }

// AdvertisedAddr returns the address the broker tells clients to connect
// to.
func (b *Broker) AdvertisedAddr() string { return b.advertise }

// Close stops the broker: it stops listening, answers the requests it
// holds, writes its state to the data folder and fsyncs every file there,
// so that a broker started on the folder finds everything acknowledged
// before. Only the first call does anything; later ones return its result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.cluster.Close()
		if b.dataDir != "" {
			b.closeErr = syncTree(b.dataDir)
		}
	})
	return b.closeErr
}

// Run starts a broker with o, serves until ctx ends, then stops it as Close
// does. It returns an error if the broker cannot start or its data cannot
// be synced to disk at the end.
func Run(ctx context.Context, o Options) error {
	b, err := Start(o)
	if err != nil {
		return err
	}
	o.Log.Info("serving Kafka", "listen", b.Addr(), "advertise", b.AdvertisedAddr(),
		"dataDir", o.DataDir, "autoCreateTopics", o.AutoCreateTopics, "partitions", o.partitions(), "syncWrites", o.SyncWrites)
	if o.DataDir == "" {
		o.Log.Info("no data folder: topics, records and offsets are kept in memory and lost when the broker stops")
	}
	<-ctx.Done()
	o.Log.Info("stopping")
	start := time.Now()
	if err := b.Close(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	o.Log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// checkWritable creates dir if missing and checks that the broker can write
// there, so that a folder it may not write (a hostPath volume kubelet
// created for root) fails the start with its path and the broker's user
// instead of failing every later write.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("-data-dir %q: %w (the broker runs as uid %d)", dir, err, os.Geteuid())
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("-data-dir %q is not writable: %w (the broker runs as uid %d)", dir, err, os.Geteuid())
	}
	name := f.Name()
	return errors.Join(f.Close(), os.Remove(name))
}

// syncTree fsyncs every file and folder under dir. Without SyncWrites kfake
// fsyncs only the state files it rewrites when it stops; the records and
// the offset and producer logs it appended are in the kernel's page cache.
// Syncing them at the end makes a clean stop durable even if the node
// crashes right after. On Linux fsync through a read-only descriptor
// flushes the file's dirty pages like any other.
func syncTree(dir string) error {
	var errs []error
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if err := f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("fsync %s: %w", path, err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	if len(errs) > 0 {
		return fmt.Errorf("sync data folder %s: %w", dir, errors.Join(errs...))
	}
	return nil
}
