// Command hello is a test function that answers every request with a
// greeting: "Hello, world" unless $GREETING sets another one.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

func main() {
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello, world"
	}
	fnserver.Run("hello", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, greeting)
	}))
}
