//go:build tools

// Package coredns only records which upstream command hack/ builds.
package coredns

import (
	_ "github.com/coredns/coredns"
)
