//go:build udp || secureudp

package varta

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// Test hooks and helpers for the UDP transports: reach the agent's socket,
// put another socket in its place, and observers bound to loopback
// addresses.

func (t *udpTransport) socket() *dgramSocket { return &t.sock }

// socketFD returns the agent's socket descriptor.
func (v *Varta) socketFD() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.tr.(interface{ socket() *dgramSocket }).socket().fd
}

// useSocket hands fd to the agent in place of its socket; the agent owns
// fd from then on. The returned restore puts the agent's socket back and
// closes fd; if the agent has replaced fd meanwhile (a reconnect closes
// it), restore closes the socket it put aside instead. Restore also runs at
// cleanup if the test has not called it.
func (v *Varta) useSocket(t *testing.T, fd int) (restore func()) {
	t.Helper()
	v.mu.Lock()
	s := v.tr.(interface{ socket() *dgramSocket }).socket()
	old := s.fd
	s.fd = fd
	v.mu.Unlock()
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.tr == nil {
			unix.Close(old)
			return
		}
		s := v.tr.(interface{ socket() *dgramSocket }).socket()
		if s.fd == fd {
			s.fd = old
			unix.Close(fd)
		} else {
			unix.Close(old)
		}
	}
	t.Cleanup(restore)
	return restore
}

// listenUDP binds a receiver to an ephemeral port of the loopback address
// ip and returns it with the port.
func listenUDP(t *testing.T, ip string) (*receiver, int) {
	t.Helper()
	return listenUDPAt(t, ip, 0)
}

// listenUDPAt binds a receiver to port (0: an ephemeral one) of the
// loopback address ip, as an observer restarted on its port does, and
// returns it with the port.
func listenUDPAt(t *testing.T, ip string, port int) (*receiver, int) {
	t.Helper()
	addr := netip.MustParseAddr(ip)
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: port, Addr: addr.As16()}
	if addr.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: port, Addr: addr.As4()}
	}
	fd, err := openSocket(family, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, fd: fd}
	t.Cleanup(r.close)
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch a := bound.(type) {
	case *unix.SockaddrInet4:
		return r, a.Port
	case *unix.SockaddrInet6:
		return r, a.Port
	}
	t.Fatalf("bound to %T", bound)
	return nil, 0
}

// closedUDPPort returns a loopback port nothing listens on.
func closedUDPPort(t *testing.T, ip string) int {
	t.Helper()
	r, port := listenUDP(t, ip)
	r.close()
	return port
}

// socketPair returns the two ends of a Unix datagram socket pair, both
// non-blocking and close-on-exec: a sending end for an agent (which owns
// it once handed over with useSocket) and a receiver on the other end.
func socketPair(t *testing.T) (int, *receiver) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	r := &receiver{t: t, fd: fds[1]}
	t.Cleanup(r.close)
	return fds[0], r
}

// fullSocket returns the sending end of a socket pair whose queue is full,
// so that every send on it fails with EAGAIN, the receiver on the other
// end, and the number of datagrams queued.
func fullSocket(t *testing.T) (int, *receiver, int) {
	t.Helper()
	fd, r := socketPair(t)
	var filler [FrameBytes]byte
	n := 0
	for {
		err := unix.Send(fd, filler[:], 0)
		if err == unix.EAGAIN {
			return fd, r, n
		}
		if err != nil || n > 100_000 {
			t.Fatalf("filling a socket pair: %d datagrams, then %v", n, err)
		}
		n++
	}
}
