package proxy

import "syscall"

// tcpNotSentLowat is TCP_NOTSENT_LOWAT (linux/tcp.h), missing from syscall.
const tcpNotSentLowat = 0x19

func setNotSentLowat(fd uintptr, n int) {
	_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotSentLowat, n) // best effort: deadlines work without it
}
