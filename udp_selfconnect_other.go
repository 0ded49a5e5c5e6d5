//go:build (udp || secureudp) && unix && !linux

package varta

// boundTo reports whether fd is bound to the peer's own address and port.
// unix.Getsockname allocates the address it returns: on these systems a
// UDP reconnect allocates that much.
func (p *udpPeer) boundTo(fd int) bool {
	return p.boundToByName(fd)
}
