//go:build (udp || secureudp) && unix && !linux

package varta

import "golang.org/x/sys/unix"

// boundTo reports whether fd is bound to the peer's own address and port.
// unix.Getsockname allocates the address it returns: on these systems a
// UDP reconnect allocates that much.
func (p *udpPeer) boundTo(fd int) bool {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false
	}
	want := p.ep.addr
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port == int(want.Port()) && want.Addr().Is4() && sa.Addr == want.Addr().As4()
	case *unix.SockaddrInet6:
		return sa.Port == int(want.Port()) && want.Addr().Is6() && sa.Addr == want.Addr().As16()
	}
	return false
}
