// Command podname is a test function that answers with the name of the pod
// serving the request: $POD_NAME (set it from the downward API), or the
// hostname, which is the pod name in Kubernetes.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

func main() {
	name := os.Getenv("POD_NAME")
	if name == "" {
		host, err := os.Hostname()
		if err != nil {
			fmt.Fprintf(os.Stderr, "podname: hostname: %v\n", err)
			os.Exit(1)
		}
		name = host
	}
	fnserver.Run("podname", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, name)
	}))
}
