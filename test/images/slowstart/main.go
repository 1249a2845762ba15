// Command slowstart is a test function that waits $START_DELAY (a Go
// duration such as "5s"; default 5s) before it starts listening, to model a
// function with a slow cold start.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

// defaultDelay is used when $START_DELAY is unset.
const defaultDelay = 5 * time.Second

func main() {
	delay := defaultDelay
	if v := os.Getenv("START_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(os.Stderr, "slowstart: invalid START_DELAY %q\n", v)
			os.Exit(1)
		}
		delay = d
	}
	log.Printf("slowstart: waiting %s before listening", delay)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-time.After(delay):
	case <-signals:
		log.Printf("slowstart: signal received before listening, exiting")
		return
	}
	signal.Stop(signals)
	fnserver.Run("slowstart", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, "started after %s\n", delay)
	}))
}
