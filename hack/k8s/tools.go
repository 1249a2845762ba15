//go:build tools

// Package k8s only records which upstream commands hack/ builds.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
