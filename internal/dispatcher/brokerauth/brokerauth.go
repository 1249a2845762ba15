// Package brokerauth turns a KafkaTrigger's broker and the Secrets it names
// into franz-go client options. It is pure: the caller reads the Secrets.
// Secrets are tenants' input, so every key is checked and a refusal names
// the Secret and the key.
package brokerauth

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// Keys read from the Secrets.
const (
	// KeyUsername and KeyPassword are the SASL Secret's keys.
	KeyUsername = "username"
	KeyPassword = "password"
	// KeyCA, KeyCert and KeyKey are the TLS Secret's keys (kubernetes.io/tls
	// and cert-manager's names).
	KeyCA   = "ca.crt"
	KeyCert = "tls.crt"
	KeyKey  = "tls.key"
)

// maxCredential bounds a user name or password: a Secret holds up to 1 MiB,
// and nothing that long is a credential.
const maxCredential = 4096

// Error is a Secret that cannot be used; the trigger's BrokerReachable
// condition shows it with ReasonSecretInvalid.
type Error struct {
	// Secret is the Secret's name; Key the key at fault, if one is.
	Secret, Key string
	// Problem says what is wrong.
	Problem string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("Secret %s: %s", e.Secret, e.Problem)
	}
	return fmt.Sprintf("Secret %s, key %s: %s", e.Secret, e.Key, e.Problem)
}

// Options returns the client options for b: SASL from saslSecret (required
// when b.SASL is set) and TLS from tlsSecret (nil when b.TLS names none: the
// system's authorities, no client certificate). A Secret that lacks a key
// or holds data that does not parse yields an *Error.
func Options(b *servingv1alpha1.KafkaBroker, saslSecret, tlsSecret *corev1.Secret) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if b == nil {
		return nil, nil
	}
	if b.SASL != nil {
		m, err := mechanism(b.SASL, saslSecret)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	if b.TLS != nil {
		cfg, err := tlsConfig(b.TLS, tlsSecret)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	return opts, nil
}

// mechanism is the SASL mechanism s names, with the credentials of secret.
func mechanism(s *servingv1alpha1.KafkaSASL, secret *corev1.Secret) (sasl.Mechanism, error) {
	if secret == nil {
		return nil, &Error{Secret: s.SecretName, Problem: "not found"}
	}
	user, err := credential(secret, KeyUsername)
	if err != nil {
		return nil, err
	}
	pass, err := credential(secret, KeyPassword)
	if err != nil {
		return nil, err
	}
	switch s.Mechanism {
	case servingv1alpha1.KafkaSASLPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case servingv1alpha1.KafkaSASLSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case servingv1alpha1.KafkaSASLSCRAMSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("SASL mechanism %q is not supported", s.Mechanism)
}

// credential is secret's key, which must be present, not empty, not too
// long and without control characters.
func credential(secret *corev1.Secret, key string) (string, error) {
	v, ok := secret.Data[key]
	switch {
	case !ok || len(v) == 0:
		return "", &Error{Secret: secret.Name, Key: key, Problem: "missing or empty"}
	case len(v) > maxCredential:
		return "", &Error{Secret: secret.Name, Key: key, Problem: fmt.Sprintf("longer than %d bytes", maxCredential)}
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return "", &Error{Secret: secret.Name, Key: key, Problem: "holds a control character (a trailing newline?)"}
		}
	}
	return string(v), nil
}

// tlsConfig is the TLS configuration t asks for: the system's authorities
// unless the Secret has ca.crt, and a client certificate if it has
// tls.crt and tls.key.
func tlsConfig(t *servingv1alpha1.KafkaTLS, secret *corev1.Secret) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.SecretName == "" {
		return cfg, nil
	}
	if secret == nil {
		return nil, &Error{Secret: t.SecretName, Problem: "not found"}
	}
	if ca, ok := secret.Data[KeyCA]; ok {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, &Error{Secret: secret.Name, Key: KeyCA, Problem: "holds no PEM certificate"}
		}
		cfg.RootCAs = pool
	}
	crt, hasCrt := secret.Data[KeyCert]
	key, hasKey := secret.Data[KeyKey]
	switch {
	case hasCrt != hasKey:
		missing := KeyKey
		if !hasCrt {
			missing = KeyCert
		}
		return nil, &Error{Secret: secret.Name, Key: missing, Problem: "missing: a client certificate needs both tls.crt and tls.key"}
	case hasCrt:
		pair, err := tls.X509KeyPair(crt, key)
		if err != nil {
			return nil, &Error{Secret: secret.Name, Key: KeyCert, Problem: "not a certificate and key pair: " + err.Error()}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
