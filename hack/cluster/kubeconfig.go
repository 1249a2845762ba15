package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// kubeconfigTemplate is a kubeconfig with one cluster, user and context, and
// the CA and client certificate embedded so the file can be copied anywhere.
const kubeconfigTemplate = `apiVersion: v1
kind: Config
clusters:
- name: wake
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: wake
  context:
    cluster: wake
    user: %s
current-context: wake
`

// WriteKubeconfig writes a kubeconfig at path that authenticates with the
// client certificate pki/<certName>.crt.
func WriteKubeconfig(cfg *Config, p *PKI, certName, path string) error {
	ca, err := os.ReadFile(p.CertFile("ca"))
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	cert, err := os.ReadFile(p.CertFile(certName))
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	key, err := os.ReadFile(p.KeyFile(certName))
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	b64 := base64.StdEncoding.EncodeToString
	data := fmt.Sprintf(kubeconfigTemplate, cfg.APIServerURL(), b64(ca), certName, b64(cert), b64(key), certName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return writeIfChanged(path, []byte(data), 0o600)
}

// kubeconfigPath is where a component's kubeconfig lives.
func kubeconfigPath(cfg *Config, certName string) string {
	return cfg.Path("conf", certName+".kubeconfig")
}
