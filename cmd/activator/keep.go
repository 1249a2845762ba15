package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wakefn/wake/internal/activator/keeper"
	"github.com/wakefn/wake/internal/cmdutil"
)

// keepListenersCommand runs the listener keeper.
const keepListenersCommand = "keep-listeners"

// keepListeners runs the listener keeper until SIGTERM or SIGINT, and
// returns the exit code.
func keepListeners(args []string) int {
	fs := flag.NewFlagSet(keepListenersCommand, flag.ExitOnError)
	var o keeper.Options
	addr := fs.String("addr", ":8080", "data-plane address to hold: the activator's --addr")
	fs.StringVar(&o.Socket, "socket", "/var/run/wake/keeper/keeper.sock", "unix socket to hand the listener to the activator on (the activator's --keeper-socket)")
	fs.DurationVar(&o.TermWait, "term-wait", 45*time.Second, "on SIGTERM, keep the listener this long at most while the activator still holds it")
	dev := fs.Bool("dev-logs", false, "human-readable logs instead of JSON")
	_ = fs.Parse(args)
	o.Addrs = []string{*addr}
	o.Log = cmdutil.NewLogger(*dev).WithName("keeper")

	k, err := keeper.New(o)
	if err != nil {
		o.Log.Error(err, "listener keeper failed to start")
		return 1
	}
	o.Log.Info("holding listeners", "addresses", k.Addrs(), "socket", o.Socket)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := k.Run(ctx); err != nil {
		o.Log.Error(err, "listener keeper stopped")
		return 1
	}
	return 0
}
