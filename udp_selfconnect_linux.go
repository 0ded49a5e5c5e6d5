//go:build (udp || secureudp) && linux

package varta

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// boundTo reports whether fd is bound to the peer's own address and port.
// It reads the socket's address with a raw getsockname into a stack
// buffer, because unix.Getsockname allocates and a reconnect must not.
// Where that system call is missing (socketcall-only kernels before 4.3 on
// 386 and s390x) it falls back to unix.Getsockname.
func (p *udpPeer) boundTo(fd int) bool {
	var sa unix.RawSockaddrAny
	n := uint32(unsafe.Sizeof(sa))
	_, _, errno := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return p.boundToByName(fd)
	}
	want := p.ep.addr
	switch sa.Addr.Family {
	case unix.AF_INET:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
		return networkPort(in.Port) == want.Port() && want.Addr().Is4() && in.Addr == want.Addr().As4()
	case unix.AF_INET6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa))
		return networkPort(in.Port) == want.Port() && want.Addr().Is6() && in.Addr == want.Addr().As16()
	}
	return false
}

// networkPort converts a port as the kernel stores it, in network byte
// order, to a number.
func networkPort(raw uint16) uint16 {
	return binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&raw))[:])
}
