package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// APIClient is a minimal client for kube-apiserver that authenticates with
// the admin certificate; up and down need only a few calls, so this avoids
// client-go.
type APIClient struct {
	base string
	http *http.Client
}

// NewAPIClient returns a client of the cluster's API server.
func NewAPIClient(cfg *Config, p *PKI) (*APIClient, error) {
	return newClient(cfg.APIServerURL(), p, "admin")
}

func newClient(base string, p *PKI, certName string) (*APIClient, error) {
	caPEM, err := os.ReadFile(p.CertFile("ca"))
	if err != nil {
		return nil, fmt.Errorf("API client: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("API client: no certificate in %s", p.CertFile("ca"))
	}
	cert, err := tls.LoadX509KeyPair(p.CertFile(certName), p.KeyFile(certName))
	if err != nil {
		return nil, fmt.Errorf("API client: load %s certificate: %w", certName, err)
	}
	return &APIClient{
		base: base,
		http: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
			},
		},
	}, nil
}

// StatusError is an API answer with a non-2xx status.
type StatusError struct {
	Method, Path string
	Code         int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Code, e.Body)
}

// IsStatus reports whether err is a StatusError with the given code.
func IsStatus(err error, code int) bool {
	se, ok := err.(*StatusError)
	return ok && se.Code == code
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out when out is not nil.
func (c *APIClient) Do(ctx context.Context, method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Method: method, Path: path, Code: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Create POSTs obj to path and treats AlreadyExists as success.
func (c *APIClient) Create(ctx context.Context, path string, obj any) error {
	err := c.Do(ctx, http.MethodPost, path, obj, nil)
	if IsStatus(err, http.StatusConflict) {
		return nil
	}
	return err
}
