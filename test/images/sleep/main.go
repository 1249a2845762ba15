// Command sleep is a test function that waits before answering: for the
// number of milliseconds in the ?ms= query parameter, or $SLEEP_MS when the
// request has none. The wait ends early if the client goes away.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

func main() {
	defaultMS := 0
	if v := os.Getenv("SLEEP_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			fmt.Fprintf(os.Stderr, "sleep: invalid SLEEP_MS %q\n", v)
			os.Exit(1)
		}
		defaultMS = ms
	}
	fnserver.Run("sleep", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := defaultMS
		if v := r.URL.Query().Get("ms"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				http.Error(w, "ms must be a non-negative integer", http.StatusBadRequest)
				return
			}
			ms = n
		}
		timer := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
		_, _ = fmt.Fprintf(w, "slept %dms\n", ms)
	}))
}
