//go:build (udp || secureudp) && unix

package varta

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// udpPeer holds an observer's address, and the wildcard address of its
// family to bind to, as socket addresses built once so that dialing again
// allocates nothing.
type udpPeer struct {
	ep     udpEndpoint
	family int
	bind   unix.Sockaddr // wildcard address, port 0: the kernel picks an ephemeral port
	addr   unix.Sockaddr
}

func newUDPPeer(ep udpEndpoint) udpPeer {
	ip, port := ep.addr.Addr(), int(ep.addr.Port())
	if ip.Is4() {
		return udpPeer{
			ep:     ep,
			family: unix.AF_INET,
			bind:   &unix.SockaddrInet4{},
			addr:   &unix.SockaddrInet4{Port: port, Addr: ip.As4()},
		}
	}
	return udpPeer{
		ep:     ep,
		family: unix.AF_INET6,
		bind:   &unix.SockaddrInet6{},
		addr:   &unix.SockaddrInet6{Port: port, ZoneId: ep.zone, Addr: ip.As16()},
	}
}

// selfConnectTries bounds the sockets connect opens while the kernel keeps
// binding them to the observer's own address.
const selfConnectTries = 3

// errSelfConnected is the error of connect when every socket it opened was
// bound to the observer's own address. A package-level value: returning it
// allocates nothing.
var errSelfConnected = errors.New("the kernel kept binding the agent's socket to the observer's own address, which nothing listens on: start the observer, or give it a port outside the ephemeral range")

// connect opens a socket connected to the peer and returns it. On error
// nothing stays open, and the error is a bare errno or errSelfConnected,
// neither of which allocates.
//
// When nothing is bound to an observer port on this host that lies in the
// ephemeral range, the kernel may bind the new socket to that very port:
// the socket is then connected to itself, takes its own beats as Sent,
// never sees an ICMP error that would make it reconnect, and keeps the
// observer from binding its port again. connect refuses such a socket and
// tries another.
func (p *udpPeer) connect() (int, error) {
	for range selfConnectTries {
		fd, err := connectSocket(p.family, p.bind, p.addr)
		if err != nil {
			return -1, err
		}
		if !p.boundTo(fd) {
			return fd, nil
		}
		unix.Close(fd)
	}
	return -1, errSelfConnected
}

// boundToByName is boundTo through unix.Getsockname, which allocates the
// address it returns.
func (p *udpPeer) boundToByName(fd int) bool {
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

// describe names the observer in an error of connect.
func (p *udpPeer) describe(err error) error {
	errno, isErrno := err.(syscall.Errno)
	switch {
	case err == errSelfConnected:
		return wrap("varta: UDP socket to observer at "+p.ep.String()+": ", err, "")
	case !isErrno:
		return err // already says what it is about
	case outOfDescriptors(errno):
		return wrap("varta: UDP socket to observer at "+p.ep.String()+": "+noDescriptorHint+": ", err, "")
	}
	return wrap("varta: UDP socket to observer at "+p.ep.String()+": ", err, "")
}

// udpTransport sends plain 32-byte frames over a connected UDP socket.
type udpTransport struct {
	sock dgramSocket
	peer udpPeer
}

var _ transport = (*udpTransport)(nil)

func newUDPTransport(ep udpEndpoint) (transport, error) {
	return &udpTransport{sock: dgramSocket{fd: -1}, peer: newUDPPeer(ep)}, nil
}

func (t *udpTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	return t.sock.send(frame[:])
}

// sendTerminal sends a terminal frame as it is: plain UDP frames carry no
// session state.
func (t *udpTransport) sendTerminal(frame *[FrameBytes]byte, _ uint32, _ uint64) BeatOutcome {
	return t.sock.send(frame[:])
}

func (t *udpTransport) reconnect(uint32) error {
	fd, err := t.peer.connect()
	if err != nil {
		return err
	}
	t.sock.replace(fd)
	return nil
}

func (t *udpTransport) describe(err error) error {
	return t.peer.describe(err)
}

func (t *udpTransport) close() error {
	return t.sock.close()
}
