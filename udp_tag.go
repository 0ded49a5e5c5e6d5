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
// resolved here, and looked up again later by a goroutine of the agent,
// which Close stops, so that the agent follows an observer that moves; a
// beat never waits for DNS. See "UDP and hosts" in the package
// documentation.
func ConnectUDP(host string, port int) (*Varta, error) {
	a, name, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	return newUDPAgent(a, name, nil)
}

// newUDPAgent returns an agent for the observer at a, sealing its frames
// with seal (nil for plain frames), that follows name, the name a was
// resolved from (nil for an IP literal). On error it wipes seal.
func newUDPAgent(a udpAddress, name *hostName, seal *sealing) (*Varta, error) {
	v, err := newAgent(a.endpoint(), seal)
	if err != nil {
		return nil, err
	}
	v.watchName(name, a)
	return v, nil
}

// udpForms is what a build with udp adds to builtForms.
const udpForms = ", udp://host:port"

// udpAddress is a resolved observer address.
type udpAddress struct {
	addr netip.AddrPort // IPv4 addresses are unmapped, never ::ffff:a.b.c.d
	zone uint32         // IPv6 scope (interface index), 0 if none
}

// resolveUDP checks host and port and resolves host to one address. For a
// name it also returns the name, which the agent looks up again
// (nameWatch); for an IP literal, nil.
func resolveUDP(host string, port int) (udpAddress, *hostName, error) {
	if port < 1 || port > 65535 {
		return udpAddress{}, nil, invalidAddress("port " + strconv.Itoa(port) + " is outside 1..65535")
	}
	ip, literal, err := parseHost(host, "")
	if err != nil {
		return udpAddress{}, nil, err
	}
	if !literal {
		name := &hostName{host: host, port: uint16(port), res: currentResolver()}
		a, err := name.lookup(context.Background(), udpAddress{})
		if err != nil {
			return udpAddress{}, nil, err
		}
		return a, name, nil
	}
	a, err := toUDPAddress(host, netip.AddrFrom16(ip.b).WithZone(ip.zone), uint16(port))
	return a, nil, err
}

// toUDPAddress returns the observer's address at addr, which host is or
// names, and port.
func toUDPAddress(host string, addr netip.Addr, port uint16) (udpAddress, error) {
	zone, err := zoneIndex(addr.Zone())
	if err != nil {
		return udpAddress{}, &textError{msg: ErrInvalidAddress.Error() + ": " + redact.Quote(host) + ": " + err.Error(), err: ErrInvalidAddress, also: err}
	}
	return udpAddress{addr: netip.AddrPortFrom(addr.Unmap().WithZone(""), port), zone: zone}, nil
}

// nameResolver looks names up: net.DefaultResolver, or a test's stand-in.
type nameResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// testResolver, when a test sets it, stands in for net.DefaultResolver in
// agents connected from then on. It is nil outside tests.
var testResolver nameResolver

// currentResolver returns the resolver an agent connected now looks its
// observer's name up with, for its whole life: net.DefaultResolver as it
// is now, so that a program that replaces it later does not race with the
// agent's lookups.
func currentResolver() nameResolver {
	if testResolver != nil {
		return testResolver
	}
	return net.DefaultResolver
}

// hostName is an observer named by a DNS name: the name, the port, and
// the resolver that looks the name up.
type hostName struct {
	host string
	port uint16
	res  nameResolver
}

// lookup resolves the name to the observer's address. It returns cur, the
// address the agent is connected to, when the resolver still lists it, so
// that the agent does not flap between the addresses of one name;
// otherwise the first address the resolver returns.
func (n *hostName) lookup(ctx context.Context, cur udpAddress) (udpAddress, error) {
	addrs, err := n.res.LookupNetIP(ctx, "ip", n.host)
	if err != nil {
		return udpAddress{}, &textError{msg: "varta: resolve observer host " + redact.Quote(n.host) + ": " + lookupText(n.host, err), err: err}
	}
	if len(addrs) == 0 {
		return udpAddress{}, &textError{msg: "varta: resolve observer host " + redact.Quote(n.host) + ": no addresses", err: &net.DNSError{Err: "no addresses", Name: n.host, IsNotFound: true}}
	}
	for _, addr := range addrs {
		if a, err := toUDPAddress(n.host, addr, n.port); err == nil && a == cur {
			return cur, nil
		}
	}
	addr := addrs[0]
	if err := checkHostAddr(n.host, ipAddr{b: addr.As16(), zone: addr.Zone()}, ""); err != nil {
		return udpAddress{}, err
	}
	return toUDPAddress(n.host, addr, n.port)
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
