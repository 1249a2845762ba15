package brokerauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// selfSigned returns a PEM certificate and its PEM key.
func selfSigned(t *testing.T) (crt, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func TestOptions(t *testing.T) {
	crt, key := selfSigned(t)
	sasl := func(m servingv1alpha1.KafkaSASLMechanism) *servingv1alpha1.KafkaBroker {
		return &servingv1alpha1.KafkaBroker{BootstrapServers: []string{"k:9092"}, SASL: &servingv1alpha1.KafkaSASL{Mechanism: m, SecretName: "user"}}
	}
	withTLS := &servingv1alpha1.KafkaBroker{BootstrapServers: []string{"k:9092"}, TLS: &servingv1alpha1.KafkaTLS{SecretName: "tls"}}
	tests := []struct {
		name      string
		broker    *servingv1alpha1.KafkaBroker
		sasl, tls *corev1.Secret
		opts      int
		wantKey   string // the key the *Error names; "" means no error
		wantText  string
	}{
		{name: "embedded broker", broker: nil},
		{name: "plain broker", broker: &servingv1alpha1.KafkaBroker{BootstrapServers: []string{"k:9092"}}},
		{name: "PLAIN", broker: sasl(servingv1alpha1.KafkaSASLPlain), sasl: secret("user", map[string]string{"username": "u", "password": "p"}), opts: 1},
		{name: "SCRAM-SHA-256", broker: sasl(servingv1alpha1.KafkaSASLSCRAMSHA256), sasl: secret("user", map[string]string{"username": "u", "password": "p"}), opts: 1},
		{name: "SCRAM-SHA-512", broker: sasl(servingv1alpha1.KafkaSASLSCRAMSHA512), sasl: secret("user", map[string]string{"username": "u", "password": "p"}), opts: 1},
		{name: "SASL Secret missing", broker: sasl(servingv1alpha1.KafkaSASLPlain), wantText: "Secret user: not found"},
		{name: "no password", broker: sasl(servingv1alpha1.KafkaSASLPlain), sasl: secret("user", map[string]string{"username": "u"}), wantKey: "password"},
		{name: "empty username", broker: sasl(servingv1alpha1.KafkaSASLPlain), sasl: secret("user", map[string]string{"username": "", "password": "p"}), wantKey: "username"},
		{name: "password with a newline", broker: sasl(servingv1alpha1.KafkaSASLPlain), sasl: secret("user", map[string]string{"username": "u", "password": "p\n"}), wantKey: "password", wantText: "control character"},
		{name: "huge password", broker: sasl(servingv1alpha1.KafkaSASLPlain), sasl: secret("user", map[string]string{"username": "u", "password": strings.Repeat("p", 5000)}), wantKey: "password"},
		{name: "TLS with the system's authorities", broker: &servingv1alpha1.KafkaBroker{BootstrapServers: []string{"k:9092"}, TLS: &servingv1alpha1.KafkaTLS{}}, opts: 1},
		{name: "TLS with a CA and a client certificate", broker: withTLS, tls: secret("tls", map[string]string{"ca.crt": crt, "tls.crt": crt, "tls.key": key}), opts: 1},
		{name: "TLS Secret missing", broker: withTLS, wantText: "Secret tls: not found"},
		{name: "CA not PEM", broker: withTLS, tls: secret("tls", map[string]string{"ca.crt": "hello"}), wantKey: "ca.crt"},
		{name: "certificate without key", broker: withTLS, tls: secret("tls", map[string]string{"tls.crt": crt}), wantKey: "tls.key"},
		{name: "key without certificate", broker: withTLS, tls: secret("tls", map[string]string{"tls.key": key}), wantKey: "tls.crt"},
		{name: "certificate and key garbage", broker: withTLS, tls: secret("tls", map[string]string{"tls.crt": "x", "tls.key": "y"}), wantKey: "tls.crt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := Options(tc.broker, tc.sasl, tc.tls)
			if tc.wantKey == "" && tc.wantText == "" {
				if err != nil || len(opts) != tc.opts {
					t.Fatalf("Options = %d options, %v; want %d, no error", len(opts), err, tc.opts)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *Error", err)
			}
			if e.Key != tc.wantKey || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q (key %q), want key %q and text %q", err, e.Key, tc.wantKey, tc.wantText)
			}
		})
	}
}
