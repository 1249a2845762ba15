// Package fnserver runs the HTTP server shared by the test functions under
// test/images: it listens on $PORT (8080 when unset) and drains in-flight
// requests when it receives SIGTERM or SIGINT.
package fnserver

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// DefaultPort is the port used when $PORT is unset.
const DefaultPort = "8080"

// drainTimeout bounds how long in-flight requests may run after SIGTERM.
const drainTimeout = 30 * time.Second

// Addr returns the listen address built from $PORT.
func Addr() string {
	port := os.Getenv("PORT")
	if port == "" {
		port = DefaultPort
	}
	return ":" + port
}

// Run serves handler on Addr until SIGTERM or SIGINT, then shuts down
// gracefully. It exits the process with status 1 if serving fails.
func Run(name string, handler http.Handler) {
	if err := serve(name, handler); err != nil {
		log.Printf("%s: %v", name, err)
		os.Exit(1)
	}
}

func serve(name string, handler http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", Addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", Addr(), err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(ln) }()
	log.Printf("%s: listening on %s", name, ln.Addr())

	select {
	case err := <-errs:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Printf("%s: signal received, draining", name)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errs; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Printf("%s: stopped", name)
	return nil
}

// EnvMillis returns the non-negative whole number of milliseconds in the
// environment variable key as a duration, 0 when it is unset. An invalid
// value ends the process with status 1, naming the function and the key.
func EnvMillis(name, key string) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return 0
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 {
		fmt.Fprintf(os.Stderr, "%s: invalid %s %q\n", name, key, v)
		os.Exit(1)
	}
	return time.Duration(ms) * time.Millisecond
}
