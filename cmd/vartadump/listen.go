package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/redact"
)

// listen binds the address at names; udpFlag says whether -udp named it.
// cleanup closes the socket and removes a socket file it created.
func listen(at varta.Target, udpFlag bool) (conn net.PacketConn, where string, cleanup func(), err error) {
	if at.Scheme != "unix" {
		addr, err := udpAddr(at, udpFlag)
		if err != nil {
			return nil, "", nil, err
		}
		// For "udp" the net package makes 0.0.0.0 a dual-stack socket,
		// which would also listen on IPv6; [::] is one, as is usual.
		network := "udp"
		if addr.AddrPort().Addr().Is4() {
			network = "udp4"
		}
		c, err := net.ListenUDP(network, addr)
		if err != nil {
			return nil, "", nil, withoutKey(err, addr.String())
		}
		return c, "udp " + c.LocalAddr().String(), func() { c.Close() }, nil
	}
	path := at.Path
	if isAbstract(path) {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			return nil, "", nil, withoutKey(err, path)
		}
		return c, "unixgram " + redact.Value(path) + " (abstract)", func() { c.Close() }, nil
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, "", nil, err
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, "", nil, withoutKey(err, path)
	}
	return c, "unixgram " + redact.Value(path), func() { c.Close(); os.Remove(path) }, nil
}

// isAbstract reports whether path names an abstract socket, as the net
// package binds a path with a leading '@' on Linux: it has no file to
// check or remove.
func isAbstract(path string) bool {
	return strings.HasPrefix(path, "@") && (runtime.GOOS == "linux" || runtime.GOOS == "android")
}

// udpAddr returns the address t names: its IP address, or the first
// address its name resolves to, the one an agent given the same host
// sends to. A name that resolves to a multicast address is refused, as
// -udp (udpFlag) or a target that names one is.
func udpAddr(t varta.Target, udpFlag bool) (*net.UDPAddr, error) {
	ip, err := netip.ParseAddr(t.Host)
	if err != nil {
		ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", t.Host)
		if err == nil && len(ips) == 0 {
			err = errors.New("no addresses")
		}
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", redact.Quote(t.Host), withoutKey(err, t.Host))
		}
		ip = ips[0].Unmap()
		if ip.IsMulticast() {
			return nil, multicastRefusal(t.Host, ip, t.Port, udpFlag)
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(t.Port))), nil
}

// multicastRefusal says why vartadump does not listen on ip, a multicast
// address that host names (or resolves to): it joins no multicast group,
// and net.ListenUDP binds the wildcard address of the family for one, so
// it would take datagrams sent to every address of this host, which the
// user did not ask for. The fix is shown as a -udp value (udpFlag) or in
// target terms.
func multicastRefusal(host string, ip netip.Addr, port int, udpFlag bool) error {
	what := ip.String() + " is a multicast address"
	if host != ip.String() {
		what = redact.Value(host) + " resolves to " + ip.String() + ", a multicast address"
	}
	what += ", and vartadump joins no multicast group (it would listen on every address instead): "
	own, every, p := "127.0.0.1", "0.0.0.0", ":"+strconv.Itoa(port)
	if ip.Is6() {
		own, every = "[::1]", "[::]"
	}
	if udpFlag {
		return udpFlagError(what + "give an address of this host, such as -udp " + own + p + ", or -udp " + every + p + " to listen on every address")
	}
	return errors.New(what + "name an address of this host in the target, such as " + own + ", or give -udp " + every + p + " to listen on every address")
}

// removeStaleSocket removes the socket at path if nobody is bound to it. It
// refuses to remove anything else.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return withoutKey(err, path)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s exists and is %s, not a socket; not removing it: choose another path", redact.Value(path), fileType(fi.Mode()))
	}
	c, err := net.Dial("unixgram", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("an observer is bound to %s; stop it first or choose another path", redact.Value(path))
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: cannot tell whether the socket is in use: %w", redact.Value(path), withoutKey(err, path))
	}
	return withoutKey(os.Remove(path), path)
}

// withoutKey returns err, an error of the os or net package about value
// (a path, an address, a host), or nil; when value may hold a key, an
// error that says the same with value shown as redact.Redacted, and that
// wraps the system error under err where there is one.
func withoutKey(err error, value string) error {
	if err == nil || !redact.MayHoldKey(value) {
		return err
	}
	var pathErr *fs.PathError
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &pathErr):
		return fmt.Errorf("%s %s: %w", pathErr.Op, redact.Redacted, pathErr.Err)
	case errors.As(err, &opErr):
		return fmt.Errorf("%s %s %s: %w", opErr.Op, opErr.Net, redact.Redacted, opErr.Err)
	case errors.As(err, &dnsErr):
		return errors.New(dnsErr.Err)
	}
	return errors.New(strings.ReplaceAll(err.Error(), value, redact.Redacted))
}

// fileType names the type of a file of mode m in words.
func fileType(m os.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case os.ModeDir:
		return "a directory"
	case os.ModeSymlink:
		return "a symbolic link"
	case os.ModeNamedPipe:
		return "a named pipe"
	case os.ModeDevice:
		return "a block device"
	case os.ModeDevice | os.ModeCharDevice:
		return "a character device"
	case os.ModeSocket:
		return "a socket"
	}
	return "a file of an unusual type (" + m.Type().String() + ")"
}
