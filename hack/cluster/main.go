// Command wake-cluster runs a real single-node Kubernetes cluster on this
// machine from binaries built into bin/ (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubelet, kube-proxy, CoreDNS) and
// Debian's containerd, runc and CNI plugins.
//
//	wake-cluster up     start the cluster (idempotent) and write a kubeconfig
//	wake-cluster down   delete pods, stop what "up" started, remove its traces
//	wake-cluster status list the components and whether they run; exit
//	                    status 0 when all run, 3 when any is stopped
//	wake-cluster restart COMPONENT
//	                    stop one running component and start it again
//	                    (e.g. kubelet, for fault tests)
//
// Every piece of state lives under -root (see config.go for the layout). It
// must run as root. `make cluster-up` and `make cluster-down` call it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{
		ReplaceAttr: dropTime,
	})))
	err := run(os.Args[1:])
	if errors.Is(err, errStopped) {
		os.Exit(3)
	}
	if err != nil {
		slog.Error("wake-cluster failed", "err", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("wake-cluster", flag.ContinueOnError)
	cfg := DefaultConfig()
	fs.StringVar(&cfg.Root, "root", cfg.Root, "folder holding all of the cluster's state, configuration and logs")
	fs.StringVar(&cfg.BinDir, "bin", cfg.BinDir, "folder with the built binaries (etcd, kube-*, kubelet, coredns)")
	fs.StringVar(&cfg.KubeconfigOut, "kubeconfig", cfg.KubeconfigOut, "where to write the admin kubeconfig")
	fs.StringVar(&cfg.PauseImageTar, "pause-image", cfg.PauseImageTar, "image tarball of the pod sandbox (pause) image, imported at start")
	fs.StringVar(&cfg.PauseImage, "pause-image-name", cfg.PauseImage, "name of the pause image inside that tarball")
	fs.BoolVar(&cfg.SkipInstall, "skip-install", false, "do not install missing Debian packages")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(fs.Output(), "usage: wake-cluster [flags] up|down|status|restart COMPONENT\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	want := 1
	if fs.Arg(0) == "restart" {
		want = 2
	}
	if fs.NArg() != want {
		fs.Usage()
		return fmt.Errorf("want %d arguments, got %d", want, fs.NArg())
	}
	if err := cfg.Resolve(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch fs.Arg(0) {
	case "up":
		requireRoot()
		if err := Up(ctx, cfg); err != nil {
			return fmt.Errorf("%w\n(components that started keep running; logs are in %s/logs; make cluster-down stops them)", err, cfg.Root)
		}
		return nil
	case "down":
		requireRoot()
		return Down(ctx, cfg)
	case "status":
		return Status(cfg)
	case "restart":
		requireRoot()
		return Restart(ctx, cfg, fs.Arg(1))
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
}

func requireRoot() {
	if os.Geteuid() != 0 {
		slog.Error("wake-cluster must run as root (it starts kubelet and containerd and changes host networking)")
		os.Exit(1)
	}
}

// dropTime removes the timestamp from log lines; make prints them in order.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// absPath makes p absolute, leaving it unchanged on error.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
