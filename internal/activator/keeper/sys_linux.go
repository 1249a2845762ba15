package keeper

import (
	"fmt"
	"net"
	"syscall"
)

// checkPeer returns an error unless the process at the other end of c
// runs as uid.
func checkPeer(c *net.UnixConn, uid int) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("peer credentials: %w", cerr)
	}
	if int(cred.Uid) != uid {
		return fmt.Errorf("peer uid %d (pid %d), want %d", cred.Uid, cred.Pid, uid)
	}
	return nil
}

// checkListening returns an error unless fd is a listening TCP socket.
func checkListening(fd int) error {
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return fmt.Errorf("not a socket: %w", err)
	}
	domain, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_DOMAIN)
	if err != nil {
		return err
	}
	listening, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	if err != nil {
		return err
	}
	if typ != syscall.SOCK_STREAM || (domain != syscall.AF_INET && domain != syscall.AF_INET6) || listening != 1 {
		return fmt.Errorf("not a listening TCP socket (type %d, domain %d, listening %d)", typ, domain, listening)
	}
	return nil
}
