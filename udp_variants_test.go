//go:build udp || secureudp

package varta

import (
	"errors"
	"os"
	"sync/atomic"
	"testing"

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
// returns it with the port.
func dialUnreachable(t *testing.T, connect func(host string, port int) (*Varta, error), ip string) (*Varta, int) {
	t.Helper()
	port := closedUDPPort(t, ip)
	v, err := connect(ip, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, port
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
