//go:build unix && (udp || secureudp)

package varta

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"github.com/varta-go/varta/internal/redact"
	"golang.org/x/sys/unix"
)

// ConnectUDP returns an agent that sends plain 32-byte beats over UDP to
// the observer at host and port (SPEC R5.2). Only built with -tags udp (or
// secureudp). host is an IPv4 or IPv6 address or a DNS name (such as
// "127.0.0.1", "::1", "fe80::1%eth0", "varta_watch"); anything else fails
// with an error matching [ErrInvalidAddress] before any lookup. A name is
// resolved once, here, so a beat never waits for DNS. See "UDP and hosts" in
// the package documentation.
func ConnectUDP(host string, port int) (*Varta, error) {
	a, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	return newAgent(a.endpoint(), nil)
}

// udpForms is what a build with udp adds to builtForms.
const udpForms = ", udp://host:port"

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
	ip, literal, err := parseHost(host, "")
	if err != nil {
		return udpAddress{}, err
	}
	addr := netip.AddrFrom16(ip.b).WithZone(ip.zone)
	if !literal {
		addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
		if err != nil {
			return udpAddress{}, &textError{msg: "varta: resolve observer host " + redact.Quote(host) + ": " + lookupText(host, err), err: err}
		}
		if len(addrs) == 0 {
			return udpAddress{}, &textError{msg: "varta: resolve observer host " + redact.Quote(host) + ": no addresses", err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
		}
		addr = addrs[0]
		if err := checkHostAddr(host, ipAddr{b: addr.As16(), zone: addr.Zone()}, ""); err != nil {
			return udpAddress{}, err
		}
	}
	zone, err := zoneIndex(addr.Zone())
	if err != nil {
		return udpAddress{}, &textError{msg: ErrInvalidAddress.Error() + ": " + redact.Quote(host) + ": " + err.Error(), err: ErrInvalidAddress, also: err}
	}
	return udpAddress{addr: netip.AddrPortFrom(addr.Unmap().WithZone(""), uint16(port)), zone: zone}, nil
}

// lookupText is what a failed lookup of host says: the resolver's words,
// or only the reason they give when the words would repeat a host that
// may hold a key.
func lookupText(host string, err error) string {
	if !redact.MayHoldKey(host) {
		return err.Error()
	}
	if dnsErr, ok := err.(*net.DNSError); ok {
		return dnsErr.Err
	}
	return "the lookup failed"
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
		return 0, &textError{msg: "zone " + redact.Quote(zone) + " names no interface: " + err.Error(), err: err}
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

// connectUDPTarget connects to a udp:// target for ConnectTo.
func connectUDPTarget(t Target) (*Varta, error) {
	return ConnectUDP(t.Host, t.Port)
}
