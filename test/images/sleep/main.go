// Command sleep is a test function that waits before answering: for the
// number of milliseconds in the ?ms= query parameter, or $SLEEP_MS when the
// request has none. The wait ends early if the client goes away.
package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

func main() {
	defaultMS := int(fnserver.EnvMillis("sleep", "SLEEP_MS").Milliseconds())
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
