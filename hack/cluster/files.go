package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

// templateData is what the configuration templates see.
type templateData struct {
	*Config
	PKI *PKI
}

// configFile is one configuration file rendered from a template.
type configFile struct {
	Path     string
	Template *template.Template
}

// configFiles lists every file under conf/ and cni/ that up writes.
func configFiles(cfg *Config) []configFile {
	return []configFile{
		{Path: cfg.Path("conf", "containerd.toml"), Template: containerdTemplate},
		{Path: cfg.Path("cni", "net.d", "10-wake.conflist"), Template: cniTemplate},
		{Path: cfg.Path("conf", "kubelet.yaml"), Template: kubeletTemplate},
		{Path: cfg.Path("conf", "kube-proxy.yaml"), Template: kubeProxyTemplate},
		{Path: cfg.Path("conf", "Corefile"), Template: corefileTemplate},
	}
}

// WriteConfigFiles renders every configuration file.
func WriteConfigFiles(cfg *Config, p *PKI) error {
	data := templateData{Config: cfg, PKI: p}
	for _, f := range configFiles(cfg) {
		var buf bytes.Buffer
		if err := f.Template.Execute(&buf, data); err != nil {
			return fmt.Errorf("render %s: %w", f.Path, err)
		}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		if err := writeIfChanged(f.Path, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeIfChanged writes data to path unless the file already holds exactly
// that. Running components watch some of these files (kube-proxy exits
// when its configuration file is written), so an idempotent up must not
// touch them.
func writeIfChanged(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func mustTemplate(name, text string) *template.Template {
	return template.Must(template.New(name).Option("missingkey=error").Parse(text))
}
