// Command probe is a client, not a function: it runs as a Job or
// `kubectl run` pod in e2e checks, resolves each host name given with -resolve
// and GETs each URL given as an argument, prints what it got, and exits 1 on
// the first failure. It tests DNS and Service routing from inside a pod.
//
//	probe -resolve hello.default.svc.cluster.local http://hello/
//
// With -ca and -token (the service-account files kubelet mounts) it can call
// the API server as the pod's service account:
//
//	probe -ca /var/run/secrets/kubernetes.io/serviceaccount/ca.crt \
//	  -token /var/run/secrets/kubernetes.io/serviceaccount/token https://kubernetes.default.svc/version
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	var names multiFlag
	flag.Var(&names, "resolve", "host name to resolve (repeatable)")
	timeout := flag.Duration("timeout", 10*time.Second, "timeout of each lookup and request")
	caFile := flag.String("ca", "", "PEM file of CAs to trust for https URLs (default: system roots)")
	tokenFile := flag.String("token", "", "file holding a bearer token to send")
	flag.Parse()

	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		addrs, err := net.DefaultResolver.LookupHost(ctx, name)
		cancel()
		if err != nil {
			fail("resolve %s: %v", name, err)
		}
		fmt.Printf("resolve %s: %s\n", name, strings.Join(addrs, ","))
	}
	client, err := newClient(*timeout, *caFile)
	if err != nil {
		fail("%v", err)
	}
	token := ""
	if *tokenFile != "" {
		data, err := os.ReadFile(*tokenFile)
		if err != nil {
			fail("read token: %v", err)
		}
		token = strings.TrimSpace(string(data))
	}
	for _, url := range flag.Args() {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			fail("GET %s: %v", url, err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			fail("GET %s: %v", url, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		if err != nil {
			fail("GET %s: read body: %v", url, err)
		}
		if resp.StatusCode != http.StatusOK {
			fail("GET %s: HTTP %d: %s", url, resp.StatusCode, body)
		}
		fmt.Printf("GET %s: %d %s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
}

// newClient returns an HTTP client that trusts the CAs in caFile, if set.
func newClient(timeout time.Duration, caFile string) (*http.Client, error) {
	client := &http.Client{Timeout: timeout}
	if caFile == "" {
		return client, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return client, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "probe: "+format+"\n", args...)
	os.Exit(1)
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
