package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Bounds on the response bodies read.
const (
	// maxReplyBytes is the largest response body produced to the reply
	// topic; a larger one is not produced (the message still counts as
	// delivered).
	maxReplyBytes = 1 << 20
	// maxDiscardBytes is how much of a body that is not needed is read
	// so that the connection can be reused; a longer body closes it.
	maxDiscardBytes = 64 << 10
)

// defaultHTTPClient is the client shared by consumers without their own:
// one connection pool for the whole dispatcher.
var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // the activator is in the cluster: no environment proxy
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	return &http.Client{
		Transport: t,
		// A redirect is an answer, not a place to deliver to: it is a
		// permanent failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
})

// outcome is the result of one HTTP attempt.
type outcome struct {
	status     int   // the response's status; 0 when there was none
	err        error // why there was no (complete) response
	timeout    bool  // err is the attempt's deadline
	retryAfter time.Duration
	hasRetry   bool // retryAfter was given by the server
	body       []byte
	bodyType   string // the response's Content-Type
	tooLarge   bool   // the body was over maxReplyBytes and is not kept
}

// ok is a 2xx response.
func (o *outcome) ok() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

// retryable is a failure worth another attempt: no response, a timeout,
// 5xx, 408 or 429. Every other failure is permanent.
func (o *outcome) retryable() bool {
	return o.err != nil || o.status >= 500 || o.status == http.StatusRequestTimeout || o.status == http.StatusTooManyRequests
}

// reason says briefly why the attempt failed, e.g. "HTTP 500".
func (o *outcome) reason() string {
	switch {
	case o.timeout:
		return "timeout"
	case o.err != nil:
		return truncate(o.err.Error(), 200)
	default:
		return fmt.Sprintf("HTTP %d", o.status)
	}
}

// post makes one delivery attempt of recs (MaxBatch 1: one record in
// binary mode; else a batch, even of one record), bounded by the Timeout.
func (c *Consumer) post(ctx context.Context, recs []*kgo.Record) outcome {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.request(actx, recs)
	if err != nil {
		return outcome{err: err}
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return failed(ctx, actx, err)
	}
	defer resp.Body.Close() //nolint:errcheck // a read-only body

	o := outcome{status: resp.StatusCode}
	if o.ok() && c.cfg.ReplyTopic != "" {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
		if err != nil {
			// The reply is part of the delivery: without it, try again.
			return failed(ctx, actx, fmt.Errorf("reading the response: %w", err))
		}
		if len(body) > maxReplyBytes {
			o.tooLarge = true
		} else {
			o.body = body
			o.bodyType = resp.Header.Get("Content-Type")
		}
		return o
	}
	// Read what is cheap to read so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDiscardBytes))
	if o.retryable() {
		o.retryAfter, o.hasRetry = parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())
	}
	return o
}

// failed is the outcome of an attempt that got no complete response.
func failed(ctx, actx context.Context, err error) outcome {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return outcome{err: err, timeout: true}
	}
	return outcome{err: err}
}

// request builds the POST for recs.
func (c *Consumer) request(ctx context.Context, recs []*kgo.Record) (*http.Request, error) {
	var body []byte
	var e event
	binary := c.cfg.MaxBatch == 1
	if binary {
		e = makeEvent(c.cfg.Name, recs[0])
		body = e.data
	} else {
		var err error
		if body, err = batchBody(c.cfg.Name, recs); err != nil {
			return nil, fmt.Errorf("encoding the batch: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if c.cfg.Host != "" {
		req.Host = c.cfg.Host
	}
	if binary {
		e.setBinaryHeaders(req.Header)
	} else {
		req.Header.Set("Content-Type", BatchContentType)
	}
	return req, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
