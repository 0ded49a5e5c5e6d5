//go:build unix && !linux

package varta

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// boundTo reports whether fd is bound to addr, an IPv4 or IPv6 address
// and port, as unix.Getsockname reads it, or the errno of getsockname
// when it fails. unix.Getsockname allocates the address it returns: on
// these systems a UDP reconnect allocates that much.
func boundTo(fd int, addr unix.Sockaddr) (bool, syscall.Errno) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		errno, _ := err.(syscall.Errno)
		return false, errno
	}
	switch want := addr.(type) {
	case *unix.SockaddrInet4:
		got, ok := sa.(*unix.SockaddrInet4)
		return ok && got.Port == want.Port && got.Addr == want.Addr, 0
	case *unix.SockaddrInet6:
		got, ok := sa.(*unix.SockaddrInet6)
		return ok && got.Port == want.Port && got.Addr == want.Addr, 0
	}
	return false, 0
}
