//go:build unix && !linux

package varta

import "golang.org/x/sys/unix"

// boundTo reports whether fd is bound to addr, an IPv4 or IPv6 address
// and port, as unix.Getsockname reads it. That allocates the address it
// returns: on these systems a UDP reconnect allocates that much.
func boundTo(fd int, addr unix.Sockaddr) bool {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false
	}
	switch want := addr.(type) {
	case *unix.SockaddrInet4:
		got, ok := sa.(*unix.SockaddrInet4)
		return ok && got.Port == want.Port && got.Addr == want.Addr
	case *unix.SockaddrInet6:
		got, ok := sa.(*unix.SockaddrInet6)
		return ok && got.Port == want.Port && got.Addr == want.Addr
	}
	return false
}
