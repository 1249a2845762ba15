//go:build !linux

package proxy

func setNotSentLowat(uintptr, int) {}
