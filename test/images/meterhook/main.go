// Command meterhook is a test receiver of Wake's metering webhook: it
// checks each batch's signature with the key in $HMAC_KEY, keeps every
// usage record once by its ID, and answers GET /records with what it
// holds (the records, and how many batches, duplicates and bad signatures
// it got), so that a test can compare them with what it sent.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/metering/sink"
	"github.com/wakefn/wake/test/images/internal/fnserver"
)

// maxBatch bounds the body of one batch.
const maxBatch = 32 << 20

// Summary is GET /records' answer.
type Summary struct {
	// Records are the records received, each once, by ID.
	Records map[string]metering.Record `json:"records"`
	// Batches counts the batches accepted; Duplicates the records that
	// came again; BadSignatures the batches refused.
	Batches       int `json:"batches"`
	Duplicates    int `json:"duplicates"`
	BadSignatures int `json:"badSignatures"`
}

type receiver struct {
	key []byte
	mu  sync.Mutex
	s   Summary
}

func main() {
	key := os.Getenv("HMAC_KEY")
	if key == "" {
		fmt.Fprintln(os.Stderr, "meterhook: HMAC_KEY is not set")
		os.Exit(1)
	}
	r := &receiver{key: []byte(key), s: Summary{Records: map[string]metering.Record{}}}
	fnserver.Run("meterhook", r)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rc.s) // the client may have left
	case http.MethodPost:
		rc.post(w, r)
	default:
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
	}
}

func (rc *receiver) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBatch))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := sink.Verify(rc.key, r.Header.Get(sink.SignatureHeader), body, time.Now(), 0); err != nil {
		rc.mu.Lock()
		rc.s.BadSignatures++
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var batch []metering.Event
	if err := json.Unmarshal(body, &batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.s.Batches++
	for _, ev := range batch {
		if _, seen := rc.s.Records[ev.ID]; seen {
			rc.s.Duplicates++
			continue
		}
		rc.s.Records[ev.ID] = ev.Data
	}
	w.WriteHeader(http.StatusNoContent)
}
