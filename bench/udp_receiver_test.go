//go:build linux && (udp || secureudp)

package bench

import (
	"testing"

	"golang.org/x/sys/unix"
)

// loopback is the address every UDP benchmark sends to.
var loopback = [4]byte{127, 0, 0, 1}

// largestFrame is the longest frame the agent sends over UDP: a master-key
// frame of 64 bytes.
const largestFrame = 64

// udpReceiver is an observer stand-in: a non-blocking UDP socket bound to
// an ephemeral loopback port.
type udpReceiver struct {
	fd   int
	port int
	// capacity is how many datagrams of largestFrame bytes the socket's
	// receive buffer holds; past that the kernel drops what arrives, and
	// the sender never learns of it.
	capacity int
	// read counts the datagrams empty has read.
	read int
	buf  [128]byte
}

// listenUDP binds a receiver, measures its capacity and closes it when the
// benchmark ends.
func listenUDP(b *testing.B) *udpReceiver {
	b.Helper()
	fd := bindUDP(b)
	b.Cleanup(func() { unix.Close(fd) })
	r := &udpReceiver{fd: fd, port: portOf(b, fd)}
	r.capacity = r.measureCapacity(b)
	return r
}

// measureCapacity sends more datagrams than a default receive buffer can
// hold (net.core.rmem_default) and counts how many it kept.
func (r *udpReceiver) measureCapacity(b *testing.B) int {
	b.Helper()
	fd := dialUDP(b, r.port)
	var frame [largestFrame]byte
	for range 4096 {
		if err := unix.Send(fd, frame[:], 0); err != nil {
			b.Fatalf("send to a bound UDP receiver: %v", err)
		}
	}
	r.empty()
	n := r.read
	r.read = 0
	if n < 2 {
		b.Fatalf("the UDP receive buffer held %d datagrams of %d bytes, want at least 2", n, largestFrame)
	}
	return n
}

// empty reads every queued datagram, counting them. It allocates nothing.
func (r *udpReceiver) empty() {
	for {
		if _, err := unix.Read(r.fd, r.buf[:]); err != nil {
			return
		}
		r.read++
	}
}

// drained returns s set up to send into r without ever filling its
// receive buffer: it sends at most half a buffer's worth of datagrams,
// then r is emptied, untimed, before it sends more. UDP sends succeed
// even into a full buffer, so read, against what was sent, shows that
// every datagram measured was queued.
func (r *udpReceiver) drained(s side) side {
	s.batch = r.capacity / 2
	s.settle = r.empty
	return s
}

// bindUDP returns a non-blocking UDP socket bound to an ephemeral
// loopback port.
func bindUDP(b *testing.B) int {
	b.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: loopback}); err != nil {
		unix.Close(fd)
		b.Fatal(err)
	}
	return fd
}

// portOf returns the port the UDP socket fd is bound to.
func portOf(b *testing.B, fd int) int {
	b.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		b.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}

// closedUDPPort returns a loopback port nothing listens on: one the
// kernel picked for a socket that is then closed.
func closedUDPPort(b *testing.B) int {
	b.Helper()
	fd := bindUDP(b)
	port := portOf(b, fd)
	unix.Close(fd)
	return port
}

// dialUDP returns a socket opened and connected the way the agent opens
// its own: AF_INET, SOCK_DGRAM, non-blocking, close-on-exec, bound to an
// ephemeral port and connected to the loopback port.
func dialUDP(b *testing.B, port int) int {
	b.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
		b.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: loopback}); err != nil {
		b.Fatal(err)
	}
	return fd
}
