//go:build udp || secureudp

package varta

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ErrInvalidAddress is matched (errors.Is) by the error ConnectUDP and the
// secure UDP constructors return for an empty host, a malformed IP address
// or a port outside 1..65535. Only built with -tags udp (or secureudp).
var ErrInvalidAddress = errors.New("varta: invalid observer address")

// ConnectUDP returns an agent that sends plain 32-byte beats over UDP to
// the observer at host and port (SPEC R5.2). Only built with -tags udp (or
// secureudp).
//
// host is an IPv4 address, an IPv6 address with or without brackets
// ("::1" and "[::1]" both work, with an optional "%zone"), or a name. A
// name is resolved once, here, with the system resolver; the first address
// it returns is used for the life of the agent, so a beat never waits for
// DNS. Resolution may block for as long as the resolver takes. A bad host
// (empty, malformed, or the unspecified address 0.0.0.0 or ::) or port
// fails with an error matching ErrInvalidAddress; a name that does
// not resolve fails with an error that errors.As turns into a
// *net.DNSError.
//
// The socket has the family of the resolved address, is bound to an
// ephemeral port, connected, non-blocking and close-on-exec. When nothing
// listens at the port, the ICMP error the first beat provokes makes a later
// beat Dropped(NoObserver). ConnectUDP fails with ErrInitProcess when the
// process is pid 1. It leaves no goroutine running (name resolution may
// use some while it lasts); Close releases the socket.
func ConnectUDP(host string, port int) (*Varta, error) {
	ep, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	tr, err := newUDPTransport(ep)
	if err != nil {
		return nil, err
	}
	return newAgent(tr)
}

// udpEndpoint is a resolved observer address.
type udpEndpoint struct {
	addr netip.AddrPort // IPv4 addresses are unmapped, never ::ffff:a.b.c.d
	zone uint32         // IPv6 scope (interface index), 0 if none
}

// resolveUDP checks host and port and resolves host to one address.
func resolveUDP(host string, port int) (udpEndpoint, error) {
	if port < 1 || port > 65535 {
		return udpEndpoint{}, wrap("", ErrInvalidAddress, ": port "+strconv.Itoa(port)+" is outside 1..65535")
	}
	name := host
	if len(name) >= 2 && name[0] == '[' && name[len(name)-1] == ']' {
		name = name[1 : len(name)-1]
	}
	if name == "" {
		return udpEndpoint{}, wrap("", ErrInvalidAddress, ": the host is empty")
	}
	addr, err := netip.ParseAddr(name)
	if err != nil {
		if strings.ContainsAny(name, "%:") {
			return udpEndpoint{}, wrap("", ErrInvalidAddress, ": "+strconv.Quote(host)+" is not a valid IP address")
		}
		addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", name)
		if err != nil {
			return udpEndpoint{}, wrap("varta: resolve observer host "+strconv.Quote(host)+": ", err, "")
		}
		if len(addrs) == 0 {
			return udpEndpoint{}, errors.New("varta: resolve observer host " + strconv.Quote(host) + ": no addresses")
		}
		addr = addrs[0]
	}
	if addr.IsUnspecified() {
		return udpEndpoint{}, wrap("", ErrInvalidAddress, ": "+strconv.Quote(host)+" is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)")
	}
	zone, err := zoneIndex(addr.Zone())
	if err != nil {
		return udpEndpoint{}, &addressError{msg: ErrInvalidAddress.Error() + ": " + strconv.Quote(host) + ": " + err.Error(), cause: err}
	}
	return udpEndpoint{addr: netip.AddrPortFrom(addr.Unmap().WithZone(""), uint16(port)), zone: zone}, nil
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
		return 0, wrap("zone "+strconv.Quote(zone)+" names no interface: ", err, "")
	}
	return uint32(ifi.Index), nil
}

// String formats the endpoint for error messages.
func (e udpEndpoint) String() string {
	if e.zone == 0 {
		return e.addr.String()
	}
	return netip.AddrPortFrom(e.addr.Addr().WithZone(strconv.FormatUint(uint64(e.zone), 10)), e.addr.Port()).String()
}

// addressError is an invalid address whose cause is another error: it
// matches both ErrInvalidAddress and that cause with errors.Is and
// errors.As, as an error of fmt.Errorf with two %w does.
type addressError struct {
	msg   string
	cause error
}

func (e *addressError) Error() string { return e.msg }

// Unwrap returns ErrInvalidAddress and the cause.
func (e *addressError) Unwrap() []error { return []error{ErrInvalidAddress, e.cause} }
