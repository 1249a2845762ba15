package sink

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/metering"
)

// Webhook defaults and wire constants.
const (
	// WebhookName is a Webhook's name when WebhookOptions gives none.
	WebhookName = "webhook"
	// DefaultWebhookTimeout bounds one POST when WebhookOptions gives no
	// Client.
	DefaultWebhookTimeout = 10 * time.Second
	// BatchContentType is the Content-Type of a webhook body: a JSON
	// array of CloudEvents (CloudEvents HTTP binding, batched mode).
	BatchContentType = "application/cloudevents-batch+json"
	// maxErrorBody bounds what is read of a response body.
	maxErrorBody = 64 << 10
	// maxErrorMessage bounds how much of it an error repeats.
	maxErrorMessage = 1 << 10
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// Name names the sink in metrics and logs; "" means WebhookName.
	Name string
	// URL is where batches are POSTed: an absolute http or https URL.
	URL string
	// Key is the HMAC-SHA256 key that signs every body; required.
	Key []byte
	// Client sends the requests; nil means one with a timeout of
	// DefaultWebhookTimeout that follows no redirects.
	Client *http.Client
	// Clock gives the signature's timestamp; nil means the real clock.
	Clock clock.PassiveClock
}

// Webhook is a Sink that POSTs each batch, signed, to an HTTP endpoint; see
// the package documentation for the signature and the status codes.
type Webhook struct {
	name   string
	url    string
	key    []byte
	client *http.Client
	clock  clock.PassiveClock
}

// NewWebhook returns a Webhook, or an error if the URL is not an absolute
// http or https URL or there is no key.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("metering webhook URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("metering webhook URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("metering webhook URL %q: no host", u.Redacted())
	}
	if len(o.Key) == 0 {
		return nil, errors.New("metering webhook: no signing key")
	}
	w := &Webhook{
		name:   cmp.Or(o.Name, WebhookName),
		url:    u.String(),
		key:    bytes.Clone(o.Key),
		client: o.Client,
		clock:  o.Clock,
	}
	if w.client == nil {
		w.client = &http.Client{
			Timeout: DefaultWebhookTimeout,
			// A 301, 302 or 303 would be followed with a GET, without the
			// body: report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if w.clock == nil {
		w.clock = clock.RealClock{}
	}
	return w, nil
}

// Name returns the sink's name.
func (w *Webhook) Name() string { return w.name }

// Send POSTs batch as a JSON array. A 2xx answer is success; 408, 429, 5xx
// and errors reaching the endpoint are retryable; any other answer is
// Permanent.
func (w *Webhook) Send(ctx context.Context, batch []metering.Event) error {
	if len(batch) == 0 {
		return nil
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return Permanent(fmt.Errorf("encode %d metering events: %w", len(batch), err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", BatchContentType)
	req.Header.Set(SignatureHeader, Sign(w.key, w.clock.Now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err // the client's error names the URL, without a password
	}
	defer func() { _ = resp.Body.Close() }() // nothing to do about it
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return statusError(resp, msg)
}

// statusError returns what resp's status means for the batch: nil,
// a retryable error, or a Permanent one; msg is the start of its body.
func statusError(resp *http.Response, msg []byte) error {
	code := resp.StatusCode
	if resp.Request != nil && resp.Request.Method != http.MethodPost {
		// A redirect the client followed turned the POST into a GET: the
		// batch never reached the endpoint.
		return Permanent(fmt.Errorf("metering webhook redirected to %s as a %s", resp.Request.URL.Redacted(), resp.Request.Method))
	}
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("metering webhook answered %s: %s", resp.Status, errorMessage(msg))
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return err
	case code >= 300 && code < 400:
		return Permanent(fmt.Errorf("%w (redirects are not followed: configure the final URL)", err))
	default:
		return Permanent(err)
	}
}

// errorMessage returns at most maxErrorMessage bytes of a response body,
// trimmed, to quote in an error.
func errorMessage(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxErrorMessage {
		s = strings.ToValidUTF8(s[:maxErrorMessage], "") + "…"
	}
	if s == "" {
		return "(no body)"
	}
	return s
}
