//go:build udp || secureudp

package varta

// Proves that ConnectUDP delivers frames over IPv4 and IPv6, resolves and
// checks hosts, keeps the sequence across reconnects, and opens a bound,
// non-blocking, close-on-exec socket.

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestConnectUDPDeliversFramesOverIPv4AndIPv6(t *testing.T) {
	for _, tc := range []struct{ listen, host string }{
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"::1", "[::1]"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			r, port := listenUDP(t, tc.listen)
			v := connectUDP(t, tc.host, port)
			for i := uint64(1); i <= 3; i++ {
				if out := v.Beat(StatusDegraded, uint32(i)); !out.IsSent() {
					t.Fatalf("beat %d: %v", i, out)
				}
				f := r.recvFrame()
				want := Frame{Status: StatusDegraded, PID: uint32(os.Getpid()), Timestamp: f.Timestamp, Nonce: i, Payload: uint32(i)}
				if f != want {
					t.Fatalf("observer got %+v, want %+v", f, want)
				}
			}
		})
	}
}

func TestConnectUDPResolvesAHostName(t *testing.T) {
	ep, _, err := resolveUDP("localhost", 9)
	if err != nil {
		t.Fatal(err)
	}
	if !ep.addr.Addr().IsLoopback() || ep.addr.Addr().Is4In6() {
		t.Fatalf("localhost resolved to %v, want an unmapped loopback address", ep.addr)
	}
	r, port := listenUDP(t, ep.addr.Addr().String())
	v := connectUDP(t, "localhost", port)
	if out := v.Beat(StatusOK, 1); !out.IsSent() {
		t.Fatalf("beat: %v", out)
	}
	if f := r.recvFrame(); f.Nonce != 1 {
		t.Fatalf("observer got nonce %d, want 1", f.Nonce)
	}
}

// TestConnectUDPRejectsBadAddressesBeforeAnyLookup checks the host
// grammar of ConnectUDP: every host that is not an IP literal or an RFC
// 1123 name, and every bad port, fails with ErrInvalidAddress saying why,
// and the resolver is never asked.
func TestConnectUDPRejectsBadAddressesBeforeAnyLookup(t *testing.T) {
	lookups := forbidLookups(t)
	for _, tc := range []struct {
		host string
		port int
		want string // in the message
	}{
		{"127.0.0.1", 0, "port 0"},
		{"127.0.0.1", -1, "port -1"},
		{"127.0.0.1", 65536, "port 65536"},
		{"", 9, "host is empty"},
		{"[]", 9, "host is empty"},
		{"[", 9, "unclosed bracket"},
		{"[::1", 9, "unclosed bracket"},
		{"[::1]:9000", 9, "unclosed bracket"},
		{"[localhost]", 9, "brackets hold only an IPv6 address"},
		{"[127.0.0.1]", 9, "brackets hold only an IPv6 address"},
		{"256.1.1.1", 9, "not a valid IPv4 address"},
		{"1.2.3", 9, "not a valid IPv4 address"},
		{"127.0.0.1.", 9, "not a valid IPv4 address"},
		{" 127.0.0.1", 9, "not a valid IP address or DNS name"},
		{"127.0.0.1 ", 9, "not a valid IP address or DNS name"},
		{"127.0.0.1%lo", 9, "not a valid IP address or DNS name"},
		{"::1:9000:x", 9, "not a valid IP address"},
		{"127.0.0.1:9000", 9, "not a valid IP address"},
		{"observer..invalid", 9, "not a valid IP address or DNS name"},
		{"-observer.invalid", 9, "not a valid IP address or DNS name"},
		{"observer-.invalid", 9, "not a valid IP address or DNS name"},
		{strings.Repeat("a", 64) + ".invalid", 9, "not a valid IP address or DNS name"},
		{strings.Repeat("a.", 127) + "invalid", 9, "not a valid IP address or DNS name"},
		{"fe80::1", 9, "link-local IPv6 address, which is ambiguous without a zone"},
		{"[fe80::1]", 9, "link-local IPv6 address, which is ambiguous without a zone"},
		{"fe80::1%0", 9, "link-local IPv6 address, which is ambiguous without a zone"},
		{"ff02::1", 9, "link-local multicast IPv6 address, which is ambiguous without a zone"},
		{"ff01::1", 9, "interface-local multicast IPv6 address, which is ambiguous without a zone"},
		{"fe80::1%no-such-interface-x", 9, "names no interface"},
		{"0.0.0.0", 9, "unspecified address"},
		{"::", 9, "unspecified address"},
		{"[::]", 9, "unspecified address"},
	} {
		v, err := ConnectUDP(tc.host, tc.port)
		if v != nil || !errors.Is(err, ErrInvalidAddress) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ConnectUDP(%q, %d) = %v, %v; want an ErrInvalidAddress saying %q", tc.host, tc.port, v, err, tc.want)
		}
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("the resolver was asked %d times, want never", n)
	}
}

// TestConnectUDPAcceptsTheHostGrammar checks hosts the grammar allows:
// IP literals are used without a lookup, with brackets and zones as
// written, and names go to the resolver.
func TestConnectUDPAcceptsTheHostGrammar(t *testing.T) {
	lookups := forbidLookups(t)
	for _, tc := range []struct {
		host string
		want string // the endpoint
	}{
		{"127.0.0.1", "127.0.0.1:9"},
		{"::1", "[::1]:9"},
		{"[::1]", "[::1]:9"},
		{"[::ffff:127.0.0.1]", "127.0.0.1:9"},
		{"fe80::1%1", "[fe80::1%1]:9"},
		{"[fe80::1%1]", "[fe80::1%1]:9"},
		{"2001:db8::1", "[2001:db8::1]:9"},
	} {
		ep, _, err := resolveUDP(tc.host, 9)
		if err != nil || ep.String() != tc.want {
			t.Errorf("resolveUDP(%q) = %v, %v; want %s", tc.host, ep, err, tc.want)
		}
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("IP literals asked the resolver %d times, want never", n)
	}
	for _, name := range []string{"observer.invalid", "observer.invalid.", "OBS-1.invalid", "x.invalid", "obs_erver.invalid"} {
		resolveUDP(name, 9)
	}
	if n := lookups.Load(); n == 0 {
		t.Error("names never reached the resolver")
	}
}

func TestConnectUDPReportsAnUnresolvableHost(t *testing.T) {
	forbidLookups(t) // every query fails, as with an unreachable server
	v, err := ConnectUDP("observer.invalid", 9)
	var dnsErr *net.DNSError
	if v != nil || !errors.As(err, &dnsErr) || errors.Is(err, ErrInvalidAddress) || !strings.Contains(err.Error(), `"observer.invalid"`) {
		t.Fatalf("ConnectUDP = %v, %v; want a *net.DNSError naming the host", v, err)
	}
}

func TestUDPReconnectKeepsTheSequence(t *testing.T) {
	r, port := listenUDP(t, "127.0.0.1")
	v := connectUDP(t, "127.0.0.1", port)
	v.Beat(StatusOK, 0)
	before := v.socketFD()
	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if v.socketFD() == before {
		// The old descriptor is closed after the new one is open, so the
		// number cannot be reused for the new socket.
		t.Fatal("Reconnect kept the socket")
	}
	v.Beat(StatusOK, 0)
	if a, b := r.recvFrame(), r.recvFrame(); a.Nonce != 1 || b.Nonce != 2 {
		t.Fatalf("nonces %d, %d; want 1, 2", a.Nonce, b.Nonce)
	}
}

// TestUDPSocketIsBoundNonBlockingAndCloseOnExec checks the socket of
// every UDP variant, after Connect and after Reconnect: non-blocking,
// close-on-exec (no child process inherits it), and bound to an ephemeral
// port of the observer's family.
func TestUDPSocketIsBoundNonBlockingAndCloseOnExec(t *testing.T) {
	for _, u := range udpVariants(t) {
		for _, ip := range loopbacks {
			t.Run(u.name+"/"+ip, func(t *testing.T) {
				v := u.dial(t, ip, closedUDPPort(t, ip))
				for _, when := range []string{"after Connect", "after Reconnect"} {
					if when == "after Reconnect" {
						if err := v.Reconnect(); err != nil {
							t.Fatal(err)
						}
					}
					checkUDPSocket(t, v.socketFD(), ip, when)
				}
			})
		}
	}
}

func checkUDPSocket(t *testing.T, fd int, ip, when string) {
	t.Helper()
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Errorf("%s: F_GETFL = %#x, %v: not non-blocking", when, fl, err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("%s: F_GETFD = %#x, %v: not close-on-exec", when, fl, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		if ip != "127.0.0.1" || a.Port == 0 {
			t.Errorf("%s: bound to %v:%d", when, a.Addr, a.Port)
		}
	case *unix.SockaddrInet6:
		if ip != "::1" || a.Port == 0 {
			t.Errorf("%s: bound to %v:%d", when, a.Addr, a.Port)
		}
	default:
		t.Errorf("%s: socket address %T", when, sa)
	}
}
