package sink

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/metering"
)

// receiver is an HTTP endpoint as a billing system would run it: it checks
// the signature with Verify and decodes the batch.
type receiver struct {
	key    []byte
	now    time.Time
	status int // answered to a well-signed batch; 0 means 200

	mu   sync.Mutex
	got  []metering.Event
	errs []error // what it found wrong with requests
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	switch {
	case err != nil:
	case r.Method != http.MethodPost:
		err = errors.New("method " + r.Method)
	case r.Header.Get("Content-Type") != BatchContentType:
		err = errors.New("content type " + r.Header.Get("Content-Type"))
	default:
		err = Verify(rc.key, r.Header.Get(SignatureHeader), body, rc.now, time.Minute)
	}
	if err != nil {
		rc.mu.Lock()
		rc.errs = append(rc.errs, err)
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if rc.status != 0 && rc.status/100 != 2 {
		http.Error(w, "nope: "+http.StatusText(rc.status), rc.status)
		return
	}
	var batch []metering.Event
	if err := json.Unmarshal(body, &batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, batch...)
	rc.mu.Unlock()
	w.WriteHeader(max(rc.status, http.StatusOK))
}

// startReceiver serves rc on loopback and returns its URL.
func startReceiver(t *testing.T, rc http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newTestWebhook returns a Webhook to url signing with key at t0.
func newTestWebhook(t *testing.T, url string, key string) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookOptions{URL: url, Key: []byte(key), Clock: clocktesting.NewFakePassiveClock(t0)})
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return w
}

func TestWebhookDeliversASignedBatch(t *testing.T) {
	rc := &receiver{key: []byte("s3cret"), now: t0.Add(30 * time.Second)}
	w := newTestWebhook(t, startReceiver(t, rc), "s3cret")
	evs := testEvents(3)
	if err := w.Send(context.Background(), evs); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := w.Send(context.Background(), nil); err != nil {
		t.Fatalf("Send of nothing: %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) > 0 {
		t.Fatalf("receiver refused: %v", rc.errs)
	}
	if d := cmp.Diff(evs, rc.got); d != "" {
		t.Errorf("received (-sent +got):\n%s", d)
	}
	if w.Name() != WebhookName {
		t.Errorf("Name = %q, want %q", w.Name(), WebhookName)
	}
}

func TestWebhookStatus(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		receiverKey   string
		wantPermanent bool
		wantQuote     string // in the error; "" means no error
	}{
		{name: "200", status: 200},
		{name: "204", status: 204},
		{name: "400", status: 400, wantPermanent: true, wantQuote: "nope: Bad Request"},
		{name: "401", status: 401, wantPermanent: true, wantQuote: "nope: Unauthorized"},
		{name: "403", status: 403, wantPermanent: true, wantQuote: "nope: Forbidden"},
		{name: "404", status: 404, wantPermanent: true, wantQuote: "nope: Not Found"},
		{name: "413", status: 413, wantPermanent: true, wantQuote: "nope: Request Entity Too Large"},
		{name: "408", status: 408, wantQuote: "nope: Request Timeout"},
		{name: "429", status: 429, wantQuote: "nope: Too Many Requests"},
		{name: "500", status: 500, wantQuote: "nope: Internal Server Error"},
		{name: "503", status: 503, wantQuote: "nope: Service Unavailable"},
		{name: "302 is not followed", status: 302, wantPermanent: true, wantQuote: "302 Found"},
		{name: "signed with another key", receiverKey: "other", wantPermanent: true, wantQuote: "signature does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &receiver{key: []byte(cmpOr(tc.receiverKey, "k")), now: t0, status: tc.status}
			var h http.Handler = rc
			if tc.status == http.StatusFound {
				h = http.RedirectHandler("/elsewhere", http.StatusFound)
			}
			err := newTestWebhook(t, startReceiver(t, h), "k").Send(context.Background(), testEvents(2))
			switch {
			case tc.wantQuote == "" && err != nil:
				t.Fatalf("Send: %v, want nil", err)
			case tc.wantQuote != "" && (err == nil || !strings.Contains(err.Error(), tc.wantQuote)):
				t.Fatalf("Send: %v, want an error quoting %q", err, tc.wantQuote)
			}
			if got := IsPermanent(err); got != tc.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tc.wantPermanent)
			}
		})
	}
}

// cmpOr returns s, or def if s is empty.
func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestWebhookRefusesARedirectTurnedIntoAGet: a caller's client that
// follows a 302 sends a GET without the body; that is not a delivery.
func TestWebhookRefusesARedirectTurnedIntoAGet(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/new", http.StatusFound))
	mux.HandleFunc("/new", func(http.ResponseWriter, *http.Request) {})
	url := startReceiver(t, mux)
	w, err := NewWebhook(WebhookOptions{URL: url + "/old", Key: []byte("k"), Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Send(context.Background(), testEvents(1))
	if !IsPermanent(err) {
		t.Fatalf("Send: %v, want a Permanent error", err)
	}
}

func TestWebhookUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := newTestWebhook(t, url, "k").Send(context.Background(), testEvents(1))
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send to a closed port: %v, want a retryable error", err)
	}
}

func TestWebhookQuotesABoundedErrorBody(t *testing.T) {
	url := startReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.Repeat("x", 200<<10)))
	}))
	err := newTestWebhook(t, url, "k").Send(context.Background(), testEvents(1))
	if !IsPermanent(err) {
		t.Fatalf("Send: %v, want a Permanent error", err)
	}
	if n := len(err.Error()); n > 2*maxErrorMessage {
		t.Errorf("error is %d bytes long, want at most %d", n, 2*maxErrorMessage)
	}
}

func TestNewWebhookRefuses(t *testing.T) {
	tests := []struct {
		name string
		url  string
		key  string
	}{
		{name: "ftp scheme", url: "ftp://billing.example/usage", key: "k"},
		{name: "no scheme", url: "billing.example/usage", key: "k"},
		{name: "relative", url: "/usage", key: "k"},
		{name: "empty", url: "", key: "k"},
		{name: "no host", url: "http:///usage", key: "k"},
		{name: "unparsable", url: "http://[::1", key: "k"},
		{name: "no key", url: "https://billing.example/usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewWebhook(WebhookOptions{URL: tc.url, Key: []byte(tc.key)}); err == nil {
				t.Errorf("NewWebhook(%q, key %q) = nil error", tc.url, tc.key)
			}
		})
	}
	for _, url := range []string{"http://billing.example/usage", "HTTPS://billing.example:8443/usage?tenant=a"} {
		if _, err := NewWebhook(WebhookOptions{URL: url, Key: []byte("k")}); err != nil {
			t.Errorf("NewWebhook(%q): %v", url, err)
		}
	}
}
