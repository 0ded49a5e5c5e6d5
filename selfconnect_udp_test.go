//go:build udp || secureudp

package varta

// Proves that a UDP agent never ends up connected to itself, and that a
// self-connected socket is recognised.

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUDPAgentNeverConnectsToItself reconnects an agent whose observer's
// port is free (the observer is down) until the kernel has handed out most
// ephemeral ports. The agent's socket must never be bound to the
// observer's port: it would be connected to itself, take its own frames as
// Sent with no ICMP error to trigger auto-reconnect, and keep the
// restarted observer from binding its port (EADDRINUSE).
func TestUDPAgentNeverConnectsToItself(t *testing.T) {
	reconnects := 150_000 // about five draws per port of Linux's default range
	if testing.Short() {
		reconnects = 3_000
	}
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			port := closedUDPPort(t, "127.0.0.1")
			v := u.dial(t, "127.0.0.1", port)
			for i := range reconnects {
				if localPort(t, v) == port {
					t.Fatalf("after %d reconnects the agent's socket is bound to the observer's port %d: connected to itself", i, port)
				}
				if err := v.Reconnect(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestSelfConnectedSocketIsRecognised builds the self-connected socket the
// kernel can hand out (bound to an address and connected to it) and checks
// that dial's test spots it, for IPv4 and IPv6, and only it.
func TestSelfConnectedSocketIsRecognised(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			addr := netip.MustParseAddr(ip)
			family, bind := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Addr: addr.As16()})
			if addr.Is4() {
				family, bind = unix.AF_INET, &unix.SockaddrInet4{Addr: addr.As4()}
			}
			fd, err := openSocket(family, unix.SOCK_DGRAM)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if err := unix.Bind(fd, bind); err != nil {
				t.Fatal(err)
			}
			self, err := unix.Getsockname(fd)
			if err != nil {
				t.Fatal(err)
			}
			if err := unix.Connect(fd, self); err != nil {
				t.Fatal(err)
			}
			var port int
			switch a := self.(type) {
			case *unix.SockaddrInet4:
				port = a.Port
			case *unix.SockaddrInet6:
				port = a.Port
			}

			same := udpAddress{addr: netip.AddrPortFrom(addr, uint16(port))}.endpoint()
			if bound, errno := boundTo(fd, same.addr); !bound || errno != 0 {
				t.Errorf("a socket connected to itself at %s port %d is not recognised", ip, port)
			}
			other := udpAddress{addr: netip.AddrPortFrom(addr, uint16(port^1))}.endpoint()
			if bound, errno := boundTo(fd, other.addr); bound || errno != 0 {
				t.Errorf("a socket bound to port %d is taken for one bound to %d", port, port^1)
			}
		})
	}
}

// localPort returns the port the agent's socket is bound to.
func localPort(t *testing.T, v *Varta) int {
	t.Helper()
	sa, err := unix.Getsockname(v.socketFD())
	if err != nil {
		t.Fatal(err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	t.Fatalf("socket address %T", sa)
	return 0
}
