package main

import (
	"crypto/x509"
	"testing"
)

// TestEnsurePKI checks that every certificate chains to the CA, carries the
// identity its component needs, and that a second run keeps the files.
func TestEnsurePKI(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	p, err := EnsurePKI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.caCert)
	for _, spec := range certSpecs(cfg) {
		cert, err := readCert(p.CertFile(spec.File))
		if err != nil {
			t.Fatal(err)
		}
		usage := x509.ExtKeyUsageClientAuth
		if spec.Server {
			usage = x509.ExtKeyUsageServerAuth
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("%s does not verify: %v", spec.File, err)
		}
		if cert.Subject.CommonName != spec.CommonName {
			t.Errorf("%s: CN %q, want %q", spec.File, cert.Subject.CommonName, spec.CommonName)
		}
	}
	apiserver, _ := readCert(p.CertFile("apiserver"))
	if err := apiserver.VerifyHostname(cfg.HostIP.String()); err != nil {
		t.Errorf("apiserver certificate does not cover the host address: %v", err)
	}
	if err := apiserver.VerifyHostname("kubernetes.default.svc"); err != nil {
		t.Errorf("apiserver certificate does not cover the Service name: %v", err)
	}

	again, err := EnsurePKI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !again.caCert.Equal(p.caCert) {
		t.Error("second EnsurePKI replaced the CA")
	}
}
