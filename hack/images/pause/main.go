// Command pause is the local cluster's pod sandbox ("pause") container: it
// holds a pod's namespaces open and blocks until SIGTERM or SIGINT. It is
// built statically and packed into the wake/pause image by hack/images.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
