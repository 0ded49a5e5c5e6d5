//go:build unix

package varta

import (
	"encoding/binary"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// boundTo reports whether fd is bound to addr, an IPv4 or IPv6 address
// and port, or the errno of getsockname when it fails. It reads the
// socket's address with a raw getsockname into a stack buffer, because
// unix.Getsockname allocates and a reconnect must not, and
// unix.Getsockname would link the decoding of every address family into
// every program. Where that system call is missing (socketcall-only
// kernels before 4.3 on 386 and s390x) it reports false and no errno: on
// those the agent does not detect a socket connected to itself.
func boundTo(fd int, addr unix.Sockaddr) (bool, syscall.Errno) {
	var sa unix.RawSockaddrAny
	n := uint32(unsafe.Sizeof(sa))
	_, _, errno := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)))
	switch errno {
	case 0:
	case unix.ENOSYS:
		return false, 0
	default:
		return false, errno
	}
	switch want := addr.(type) {
	case *unix.SockaddrInet4:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		return sa.Addr.Family == unix.AF_INET && int(networkPort(in.Port)) == want.Port && in.Addr == want.Addr, 0
	case *unix.SockaddrInet6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa))
		return sa.Addr.Family == unix.AF_INET6 && int(networkPort(in.Port)) == want.Port && in.Addr == want.Addr, 0
	}
	return false, 0
}

// networkPort converts a port as the kernel stores it, in network byte
// order, to a number.
func networkPort(raw uint16) uint16 {
	return binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&raw))[:])
}
