//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// response is what one request through the activator got.
type response struct {
	code   int
	body   string
	header http.Header
	err    error
	// done is when the response body was fully read.
	done time.Time
}

// httpClient sends every request to the activator Service, whatever the URL's
// host; the Host header picks the function.
var httpClient = &http.Client{
	Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, suite.activator)
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	},
}

// requestTimeout bounds each request of get; far above every timeout the
// tests expect the activator to apply.
const requestTimeout = time.Minute

// get sends GET http://host/pathAndQuery through the activator, giving up
// after requestTimeout.
func get(host, pathAndQuery string) response {
	return getWithin(requestTimeout, host, pathAndQuery)
}

// getWithin is get with its own timeout.
func getWithin(timeout time.Duration, host, pathAndQuery string) response {
	return getVia(httpClient, timeout, host, pathAndQuery)
}

// getVia is getWithin through client c.
func getVia(c *http.Client, timeout time.Duration, host, pathAndQuery string) response {
	return doVia(c, timeout, http.MethodGet, host, pathAndQuery)
}

// doVia sends a bodiless request through client c with the headers hdr
// (name, value, ...), giving up after timeout.
func doVia(c *http.Client, timeout time.Duration, method, host, pathAndQuery string, hdr ...string) response {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+pathAndQuery, nil)
	if err != nil {
		return response{err: err}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{err: err, done: time.Now()}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{code: resp.StatusCode, body: string(body), header: resp.Header, err: err, done: time.Now()}
}

// String describes r for failure messages.
func (r response) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("%d %q", r.code, strings.TrimSpace(r.body))
}

// getAll sends n GETs with at most parallel in flight and returns the
// responses in the order they were issued.
func getAll(host, pathAndQuery string, n, parallel int) []response {
	out := make([]response, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = get(host, pathAndQuery)
		}()
	}
	wg.Wait()
	return out
}

// requireAll fails the test unless every response is code with a body for
// which bodyOK holds (nil accepts any body). It reports the first few
// failures and how many there were.
func requireAll(t *testing.T, what string, rs []response, code int, bodyOK func(string) bool) {
	t.Helper()
	bad := 0
	var examples []string
	for _, r := range rs {
		if r.err == nil && r.code == code && (bodyOK == nil || bodyOK(r.body)) {
			continue
		}
		bad++
		if len(examples) < 5 {
			examples = append(examples, r.String())
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d responses were not %d with the expected body; e.g. %v", what, bad, len(rs), code, examples)
	}
}

// convergedAfter is how many requests in a row, each on a new connection,
// waitServing wants answered: every activator learns routes on its own, so
// one good answer only shows that one activator has.
const convergedAfter = 20

// waitServing polls host until convergedAfter requests in a row answer 200
// with a body for which bodyOK holds.
func waitServing(t *testing.T, host string, bodyOK func(string) bool) {
	t.Helper()
	c := freshConnClient()
	testutil.Eventually(t, time.Minute, fmt.Sprintf("%d GETs of %s in a row answer 200", convergedAfter, host), func(context.Context) error {
		for i := range convergedAfter {
			r := getVia(c, 10*time.Second, host, "/")
			if r.err != nil || r.code != http.StatusOK || (bodyOK != nil && !bodyOK(r.body)) {
				return fmt.Errorf("request %d: %s", i+1, r)
			}
		}
		return nil
	})
}

// bodyIs accepts exactly want plus a trailing newline.
func bodyIs(want string) func(string) bool {
	return func(b string) bool { return b == want+"\n" }
}
