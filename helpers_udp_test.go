//go:build udp || secureudp

package varta

// Fixtures shared by the UDP tests: loopback receivers, socket pairs and
// full sockets, the UDP variants every UDP test runs over, a guard
// against name lookups, and a name whose address a test moves.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// udpVariant is one way an agent beats over UDP. Tests of what every UDP
// transport does run over each variant udpVariants returns: plain frames,
// and with -tags secureudp the shared-key and master-key ones.
type udpVariant struct {
	name    string
	connect func(host string, port int) (*Varta, error)
	// open checks a datagram that an agent of pid sent, as its observer
	// would, and returns the frame inside; it fails t if the observer
	// would reject the datagram.
	open func(t *testing.T, wire []byte, pid uint32) Frame
	// beatBytes and terminalBytes are the lengths on the wire of a beat
	// and of a terminal frame.
	beatBytes, terminalBytes int
}

// plainUDP is the variant of the plain UDP transport.
var plainUDP = udpVariant{
	name:          "udp",
	connect:       ConnectUDP,
	open:          openPlain,
	beatBytes:     FrameBytes,
	terminalBytes: FrameBytes,
}

// loopbacks are the addresses UDP tests run over: IPv4 and IPv6.
var loopbacks = []string{"127.0.0.1", "::1"}

// openPlain checks a plain frame as its observer would and returns it.
func openPlain(t *testing.T, wire []byte, pid uint32) Frame {
	t.Helper()
	f, err := DecodeFrame(wire)
	if err != nil {
		t.Fatalf("observer rejects frame %x: %v", wire, err)
	}
	if f.PID != pid {
		t.Fatalf("frame carries pid %d, want %d", f.PID, pid)
	}
	return f
}

// dial connects an agent of the variant and closes it at cleanup.
func (u udpVariant) dial(t *testing.T, host string, port int) *Varta {
	t.Helper()
	v, err := u.connect(host, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// recvBeat receives one datagram at r, which must be a beat of this
// process with the given nonce, and returns the frame.
func (u udpVariant) recvBeat(t *testing.T, r *receiver, nonce uint64) Frame {
	t.Helper()
	wire := r.recv()
	if len(wire) != u.beatBytes {
		t.Fatalf("observer got %d bytes, want a %d-byte beat", len(wire), u.beatBytes)
	}
	f := u.open(t, wire, uint32(os.Getpid()))
	if f.Nonce != nonce {
		t.Fatalf("beat carries nonce %d, want %d", f.Nonce, nonce)
	}
	return f
}

// beatArrives sends one beat carrying payload, which must be Sent and
// reach r with the given nonce.
func (u udpVariant) beatArrives(t *testing.T, v *Varta, r *receiver, nonce uint64, payload uint32) {
	t.Helper()
	if out := v.Beat(StatusOK, payload); !out.IsSent() {
		t.Fatalf("beat with payload %d = %v, want Sent", payload, out)
	}
	if f := u.recvBeat(t, r, nonce); f.Payload != payload {
		t.Fatalf("beat carries payload %d, want %d", f.Payload, payload)
	}
}

// awaitSocketError waits until the agent's socket holds the error that an
// ICMP reply to an earlier send left on it, so that the next send fails
// with that error. Poll reports the pending error as POLLERR without
// clearing it. The wait fails the test after 10 seconds: a hang guard.
func awaitSocketError(t *testing.T, v *Varta) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(v.socketFD())}}
	for {
		n, err := unix.Poll(fds, 10_000)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			t.Fatal(err)
		case n == 0:
			t.Fatal("hung: no ICMP error reached the agent's socket within 10s")
		case fds[0].Revents&unix.POLLERR == 0:
			t.Fatalf("poll reported %#x, want POLLERR", fds[0].Revents)
		}
		return
	}
}

// collector reads every datagram that reaches a receiver on a goroutine
// of its own, so that a fast sender does not overflow the receiver's
// buffer: a full UDP receiver discards what arrives while the sender sees
// success.
type collector struct {
	received atomic.Int64 // datagrams read so far
	stop     chan struct{}
	frames   chan [][]byte
}

// collect starts a collector on r.
func collect(t *testing.T, r *receiver) *collector {
	c := &collector{stop: make(chan struct{}), frames: make(chan [][]byte, 1)}
	go func() {
		var got [][]byte
		var buf [256]byte
		fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
		for stopping := false; ; {
			n, err := unix.Read(r.fd, buf[:])
			switch {
			case err == nil:
				got = append(got, append([]byte(nil), buf[:n]...))
				c.received.Add(1)
				continue
			case err == unix.EINTR:
				continue
			case err != unix.EAGAIN:
				t.Errorf("observer: read: %v", err)
			case !stopping:
				select {
				case <-c.stop:
					stopping = true // read until the queue is empty once more
				default:
					unix.Poll(fds, 1)
				}
				continue
			}
			c.frames <- got
			return
		}
	}()
	return c
}

// finish returns what was read, in order of arrival, once the receiver's
// queue is empty after finish was called.
func (c *collector) finish() [][]byte {
	close(c.stop)
	return <-c.frames
}

// dialUnreachable connects an agent with connect to a port of the
// loopback address ip that nothing is bound to, closes it at cleanup, and
// returns it with the port. Its clock moves one reconnect spacing a beat
// (tickClock), so that every beat reaches the socket: the tests that dial
// so are about what the socket reports, and the spacing of an outage has
// tests of its own (TestUDPOutageBeatsWithinAnIntervalSendNothing).
func dialUnreachable(t *testing.T, connect func(host string, port int) (*Varta, error), ip string) (*Varta, int) {
	t.Helper()
	port := closedUDPPort(t, ip)
	v, err := connect(ip, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	v.tickClock()
	return v, port
}

// forbidLookups replaces the default resolver, for the test, with one
// whose queries fail at once without leaving the process, and returns the
// count of queries it saw. It consults no hosts file, so every name it is
// asked about is counted.
func forbidLookups(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		n.Add(1)
		return nil, errors.New("lookups are forbidden in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
	return &n
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

// connectUDP connects a plain UDP agent to host and port and closes it at
// cleanup.
func connectUDP(t *testing.T, host string, port int) *Varta {
	t.Helper()
	v, err := ConnectUDP(host, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// recvFrame receives and decodes one frame.
func (r *receiver) recvFrame() Frame {
	r.t.Helper()
	b := r.recv()
	f, err := DecodeFrame(b)
	if err != nil {
		r.t.Fatalf("observer rejects frame %x: %v", b, err)
	}
	return f
}

// observerName is the host name tests connect to when a movingName
// resolves it.
const observerName = "observer.test"

// movingName is a resolver under a test's control: it answers every name
// with the addresses last given to moveTo, or the error given to fail,
// and counts its lookups. Once hang is called, lookups wait for their
// context to end, reporting on hung that they wait.
type movingName struct {
	mu      sync.Mutex
	addrs   []netip.Addr
	err     error
	hanging bool
	lookups int
	hung    chan struct{}
}

// resolveMoving makes agents connected until the test ends resolve names
// with a movingName that answers ips, and returns it.
func resolveMoving(t *testing.T, ips ...string) *movingName {
	t.Helper()
	m := &movingName{hung: make(chan struct{}, 1)}
	m.moveTo(ips...)
	resolveWith(t, m)
	return m
}

// moveTo makes the name resolve to ips from now on.
func (m *movingName) moveTo(ips ...string) {
	addrs := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		addrs[i] = netip.MustParseAddr(ip)
	}
	m.mu.Lock()
	m.addrs, m.err = addrs, nil
	m.mu.Unlock()
}

// fail makes lookups fail with a "no such host" error from now on.
func (m *movingName) fail() {
	m.mu.Lock()
	m.err = &net.DNSError{Err: "no such host", Name: observerName, IsNotFound: true}
	m.mu.Unlock()
}

// hang makes lookups wait for their context to end from now on.
func (m *movingName) hang() {
	m.mu.Lock()
	m.hanging = true
	m.mu.Unlock()
}

// count returns how many lookups the resolver answered or began.
func (m *movingName) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookups
}

// LookupNetIP answers a lookup as the test set it up.
func (m *movingName) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	m.mu.Lock()
	m.lookups++
	addrs, err, hanging := m.addrs, m.err, m.hanging
	m.mu.Unlock()
	if hanging {
		select {
		case m.hung <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return addrs, err
}

// viaName returns connect made to reach the address it is given through
// a name: the agent is connected to observerName, which a movingName
// resolves to that address. The agent has made the lookup that answers its
// first poke when connect returns, and its next lookups wait an hour, past
// the test's end, so that no lookup allocates while the test counts.
func viaName(t *testing.T, connect func(host string, port int) (*Varta, error)) func(host string, port int) (*Varta, error) {
	t.Helper()
	m := resolveMoving(t)
	setLookupTimes(t, time.Hour, time.Hour)
	return func(host string, port int) (*Varta, error) {
		m.moveTo(host)
		v, err := connect(observerName, port)
		if err != nil {
			return nil, err
		}
		v.watch.poke()
		for m.count() == 0 || v.Stats().Resolutions == 0 {
			time.Sleep(time.Millisecond) // a hang shows as the test's timeout
		}
		return v, nil
	}
}
