// Command echo is a test function that answers with a JSON description of
// the request it received: method, path, query, host, headers and body.
package main

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

// maxBody bounds how much of a request body is echoed.
const maxBody = 1 << 20

// echo is the JSON answer.
type echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query,omitempty"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

func main() {
	fnserver.Run("echo", http.HandlerFunc(handle))
}

func handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echo{
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Host:    r.Host,
		Headers: r.Header,
		Body:    string(body),
	})
}
