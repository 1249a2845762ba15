package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is long enough that a dev cluster never sees an expiry.
const certValidity = 5 * 365 * 24 * time.Hour

// certSpec describes one certificate signed by the cluster CA.
type certSpec struct {
	// File is the base name: <File>.crt and <File>.key under pki/.
	File string
	// CommonName is the user name for client certificates.
	CommonName string
	// Organization lists the groups for client certificates.
	Organization []string
	// Server marks a serving certificate; DNSNames and IPs are its SANs.
	Server   bool
	DNSNames []string
	IPs      []net.IP
}

// certSpecs lists every certificate the cluster uses.
func certSpecs(cfg *Config) []certSpec {
	return []certSpec{
		{
			File: "apiserver", CommonName: "kube-apiserver", Server: true,
			DNSNames: []string{
				"kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc." + cfg.ClusterDomain, "localhost",
			},
			IPs: []net.IP{cfg.HostIP, cfg.KubernetesServiceIP, net.IPv4(127, 0, 0, 1)},
		},
		{File: "apiserver-kubelet-client", CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		{File: adminCert, CommonName: "wake-admin", Organization: []string{"system:masters"}},
		{File: kubeletClientCert, CommonName: "system:node:" + cfg.NodeName, Organization: []string{"system:nodes"}},
		{File: kubeletName, CommonName: cfg.NodeName, Server: true, DNSNames: []string{cfg.NodeName, "localhost"}, IPs: []net.IP{cfg.HostIP, net.IPv4(127, 0, 0, 1)}},
		{File: controllerManagerCert, CommonName: "system:kube-controller-manager"},
		{File: schedulerCert, CommonName: "system:kube-scheduler"},
		{File: kubeProxyName, CommonName: "system:kube-proxy"},
		{File: corednsName, CommonName: corednsUser},
	}
}

// PKI holds the cluster CA, used to sign every other certificate.
type PKI struct {
	dir    string
	caCert *x509.Certificate
	caKey  crypto.Signer
}

// CertFile and KeyFile return the paths of a certificate and its key.
func (p *PKI) CertFile(name string) string { return filepath.Join(p.dir, name+".crt") }

// KeyFile returns the path of a private key.
func (p *PKI) KeyFile(name string) string { return filepath.Join(p.dir, name+".key") }

// EnsurePKI creates the CA, every certificate in certSpecs and the
// service-account key pair under pki/, keeping the files that already exist.
func EnsurePKI(cfg *Config) (*PKI, error) {
	p := &PKI{dir: cfg.Path("pki")}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki folder: %w", err)
	}
	if err := p.ensureCA(); err != nil {
		return nil, err
	}
	for _, spec := range certSpecs(cfg) {
		if exists(p.CertFile(spec.File)) && exists(p.KeyFile(spec.File)) {
			continue
		}
		if err := p.issue(spec); err != nil {
			return nil, fmt.Errorf("issue certificate %s: %w", spec.File, err)
		}
	}
	if err := p.ensureServiceAccountKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) ensureCA() error {
	if exists(p.CertFile("ca")) && exists(p.KeyFile("ca")) {
		cert, err := readCert(p.CertFile("ca"))
		if err != nil {
			return err
		}
		key, err := readKey(p.KeyFile("ca"))
		if err != nil {
			return err
		}
		p.caCert, p.caKey = cert, key
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "wake-cluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("self-sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parse CA: %w", err)
	}
	if err := writeKey(p.KeyFile("ca"), key); err != nil {
		return err
	}
	if err := writePEM(p.CertFile("ca"), "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	p.caCert, p.caKey = cert, key
	return nil
}

func (p *PKI) issue(spec certSpec) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: spec.Organization},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if spec.Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames = spec.DNSNames
		tmpl.IPAddresses = spec.IPs
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := writeKey(p.KeyFile(spec.File), key); err != nil {
		return err
	}
	return writePEM(p.CertFile(spec.File), "CERTIFICATE", der, 0o644)
}

// ensureServiceAccountKey writes sa.key and sa.pub, the RSA pair that signs
// and verifies service-account tokens.
func (p *PKI) ensureServiceAccountKey() error {
	if exists(p.KeyFile("sa")) && exists(filepath.Join(p.dir, "sa.pub")) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	if err := writeKey(p.KeyFile("sa"), key); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encode service-account public key: %w", err)
	}
	return writePEM(filepath.Join(p.dir, "sa.pub"), "PUBLIC KEY", pub, 0o644)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(fmt.Sprintf("read random serial: %v", err))
	}
	return n
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readCert(path string) (*x509.Certificate, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return cert, nil
}

func readKey(path string) (crypto.Signer, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", path)
	}
	return signer, nil
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
