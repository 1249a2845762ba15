//go:build !linux

package keeper

import (
	"errors"
	"net"
)

// errUnsupported: peer credentials and socket checks are Linux's.
var errUnsupported = errors.New("listener keeper: supported on Linux only")

// checkPeer refuses every peer: their uid cannot be checked here.
func checkPeer(*net.UnixConn, int) error { return errUnsupported }

// checkListening refuses every descriptor.
func checkListening(int) error { return errUnsupported }
