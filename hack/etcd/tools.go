//go:build tools

// Package etcd only records which upstream command hack/ builds.
package etcd

import (
	_ "go.etcd.io/etcd/server/v3"
)
