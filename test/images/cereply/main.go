// Command cereply is a test function for Kafka triggers: it answers each
// CloudEvent with its ID (the ce-id header) as the body, which the
// trigger's reply topic then holds, so a test can check that every message
// was delivered. It waits $SLEEP_MS milliseconds first, so that deliveries
// overlap and the function scales out, and it answers 500 to a message
// whose body is "poison", which must end in the dead-letter topic.
package main

import (
	"io"
	"net/http"
	"time"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

func main() {
	sleep := fnserver.EnvMillis("cereply", "SLEEP_MS")
	fnserver.Run("cereply", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		id := r.Header.Get("ce-id")
		if id == "" {
			http.Error(w, "not a CloudEvent: no ce-id header", http.StatusBadRequest)
			return
		}
		if string(body) == "poison" {
			http.Error(w, "poison message", http.StatusInternalServerError)
			return
		}
		if sleep > 0 {
			select {
			case <-time.After(sleep):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, id)
	}))
}
