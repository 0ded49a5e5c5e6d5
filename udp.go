//go:build unix && (udp || secureudp)

package varta

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrInvalidAddress is matched (errors.Is) by the error ConnectUDP and the
// secure UDP constructors return, before any name lookup, for a host that
// breaks the grammar ConnectUDP states, the unspecified address, a
// link-local IPv6 address without a zone, or a port outside 1..65535.
// Only built with -tags udp (or secureudp).
var ErrInvalidAddress = errors.New("varta: invalid observer address")

// ConnectUDP returns an agent that sends plain 32-byte beats over UDP to
// the observer at host and port (SPEC R5.2). Only built with -tags udp (or
// secureudp).
//
// host is one of:
//   - an IPv4 address in dotted decimal, such as "127.0.0.1";
//   - an IPv6 address, with or without brackets ("::1" and "[::1]" both
//     work), with an optional "%zone" (an interface name or index), which a
//     link-local address such as fe80::1 needs: "fe80::1%eth0";
//   - a DNS name of letters, digits and hyphens in dot-separated labels
//     (RFC 1123), such as "observer.internal".
//
// Anything else ("[localhost]", "256.1.1.1", " 127.0.0.1", a host with a
// port) fails with an error matching ErrInvalidAddress before any lookup,
// as do the unspecified addresses 0.0.0.0 and :: and a port outside
// 1..65535. A name is resolved once, here, with the system resolver; the
// first address it returns is used for the life of the agent, so a beat
// never waits for DNS. Resolution may block for as long as the resolver
// takes; a name that does not resolve fails with an error that errors.As
// turns into a *net.DNSError.
//
// The socket has the family of the address, is bound to an ephemeral
// port, connected, non-blocking and close-on-exec. When nothing listens at
// the port, the ICMP error the first beat provokes makes a later beat
// Dropped(NoObserver). ConnectUDP fails with ErrInitProcess when the
// process is pid 1. It leaves no goroutine running (name resolution may
// use some while it lasts); Close releases the socket.
//
// The agent does not reconnect by itself by default (SetReconnectAfter):
// its socket reaches an observer restarted on the same port as it is.
func ConnectUDP(host string, port int) (*Varta, error) {
	a, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	return newAgent(a.endpoint(), nil)
}

// udpAddress is a resolved observer address.
type udpAddress struct {
	addr netip.AddrPort // IPv4 addresses are unmapped, never ::ffff:a.b.c.d
	zone uint32         // IPv6 scope (interface index), 0 if none
}

// resolveUDP checks host and port and resolves host to one address.
func resolveUDP(host string, port int) (udpAddress, error) {
	if port < 1 || port > 65535 {
		return udpAddress{}, invalidAddress("port " + strconv.Itoa(port) + " is outside 1..65535")
	}
	addr, err := parseHost(host)
	if err != nil {
		return udpAddress{}, err
	}
	if !addr.IsValid() { // a DNS name
		addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
		if err != nil {
			return udpAddress{}, &textError{msg: "varta: resolve observer host " + strconv.Quote(host) + ": " + err.Error(), err: err}
		}
		if len(addrs) == 0 {
			return udpAddress{}, &textError{msg: "varta: resolve observer host " + strconv.Quote(host) + ": no addresses", err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
		}
		addr = addrs[0]
	}
	if addr.IsUnspecified() {
		return udpAddress{}, invalidAddress(strconv.Quote(host) + " is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)")
	}
	zone, err := zoneIndex(addr.Zone())
	if err != nil {
		return udpAddress{}, &textError{msg: ErrInvalidAddress.Error() + ": " + strconv.Quote(host) + ": " + err.Error(), err: ErrInvalidAddress, also: err}
	}
	if zone == 0 && needsZone(addr) {
		return udpAddress{}, invalidAddress(strconv.Quote(host) + " is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in \"fe80::1%eth0\"")
	}
	return udpAddress{addr: netip.AddrPortFrom(addr.Unmap().WithZone(""), uint16(port)), zone: zone}, nil
}

// parseHost checks host against ConnectUDP's grammar before any lookup. It
// returns the address of an IP literal, or the zero Addr for a DNS name.
func parseHost(host string) (netip.Addr, error) {
	switch {
	case host == "" || host == "[]":
		return netip.Addr{}, invalidAddress("the host is empty")
	case host[0] == '[':
		if len(host) < 2 || host[len(host)-1] != ']' {
			return netip.Addr{}, invalidAddress(strconv.Quote(host) + " has an unclosed bracket, or text after it: write an IPv6 address as \"[::1]\" or \"::1\", without a port")
		}
		addr, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !addr.Is6() {
			return netip.Addr{}, invalidAddress(strconv.Quote(host) + ": brackets hold only an IPv6 address: write an IPv4 address or a name without them")
		}
		return addr, nil
	case strings.IndexByte(host, ':') >= 0: // only an IPv6 address has colons
		addr, err := netip.ParseAddr(host)
		if err != nil || !addr.Is6() {
			return netip.Addr{}, invalidAddress(strconv.Quote(host) + " is not a valid IP address (pass the port separately)")
		}
		return addr, nil
	case isDottedDecimal(host):
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return netip.Addr{}, invalidAddress(strconv.Quote(host) + " is not a valid IPv4 address: four numbers 0..255 separated by dots")
		}
		return addr, nil
	case !isDNSName(host):
		return netip.Addr{}, invalidAddress(strconv.Quote(host) + " is not a valid IP address or DNS name (letters, digits and hyphens in dot-separated labels of 1 to 63 characters)")
	}
	return netip.Addr{}, nil
}

// isDottedDecimal reports whether s holds only digits and dots, as an IPv4
// address does: such a host is an IPv4 address or a mistake, never a name.
func isDottedDecimal(s string) bool {
	for i := range len(s) {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isDNSName reports whether s is a host name of RFC 1123 labels: 1 to 63
// letters, digits or hyphens, not starting or ending with a hyphen,
// separated by dots, at most 253 characters in all, with an optional
// final dot.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			c := label[i] | 0x20 // lower case for letters
			if (c < 'a' || c > 'z') && (label[i] < '0' || label[i] > '9') && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// needsZone reports whether addr is an IPv6 address whose scope is one
// link or interface, which the kernel cannot route to without a zone.
func needsZone(addr netip.Addr) bool {
	return addr.Is6() && !addr.Is4In6() &&
		(addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast())
}

// invalidAddress returns an error matching ErrInvalidAddress that says why.
func invalidAddress(why string) error {
	return &textError{msg: ErrInvalidAddress.Error() + ": " + why, err: ErrInvalidAddress}
}

// zoneIndex returns the interface index an IPv6 zone names: a number, or
// an interface name.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, &textError{msg: "zone " + strconv.Quote(zone) + " names no interface: " + err.Error(), err: err}
	}
	return uint32(ifi.Index), nil
}

// String formats the address for error messages.
func (a udpAddress) String() string {
	if a.zone == 0 {
		return a.addr.String()
	}
	return netip.AddrPortFrom(a.addr.Addr().WithZone(strconv.FormatUint(uint64(a.zone), 10)), a.addr.Port()).String()
}

// endpoint returns the observer's socket addresses, and the wildcard
// address of its family to bind to (port 0: the kernel picks an
// ephemeral port).
func (a udpAddress) endpoint() endpoint {
	ip, port := a.addr.Addr(), int(a.addr.Port())
	if ip.Is4() {
		return endpoint{
			family: unix.AF_INET,
			bind:   &unix.SockaddrInet4{},
			addr:   &unix.SockaddrInet4{Port: port, Addr: ip.As4()},
			name:   a.String(),
		}
	}
	return endpoint{
		family: unix.AF_INET6,
		bind:   &unix.SockaddrInet6{},
		addr:   &unix.SockaddrInet6{Port: port, ZoneId: a.zone, Addr: ip.As16()},
		name:   a.String(),
	}
}

// dialUDP connects to a udp:// target: the method by which this file adds
// UDP to ConnectTo (target.go).
func (tagged) dialUDP(t observerTarget) (*Varta, error) {
	return ConnectUDP(t.host, t.port)
}
