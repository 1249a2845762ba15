//go:build !linux

package clientgone

// newPoller returns nil: only Linux is supported; Hold then does nothing.
func newPoller() (poller, error) { return nil, nil }
