//go:build (udp || secureudp) && unix

package varta

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// udpVariant is one way an agent beats over UDP. Tests of what every UDP
// transport does run over each variant: plain frames, and with -tags
// secureudp the shared-key and master-key ones (added in secure_test.go).
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

var udpVariants = []udpVariant{{
	name:          "udp",
	connect:       ConnectUDP,
	open:          openPlain,
	beatBytes:     FrameBytes,
	terminalBytes: FrameBytes,
}}

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

// collect reads every datagram that reaches r on a goroutine of its own,
// so that a fast sender does not overflow r's receive buffer (a full UDP
// receiver discards what arrives while the sender sees success). finish
// returns what was read, in order of arrival, once r's queue is empty
// after finish was called.
func collect(t *testing.T, r *receiver) (finish func() [][]byte) {
	stop := make(chan struct{})
	frames := make(chan [][]byte, 1)
	go func() {
		var got [][]byte
		var buf [256]byte
		fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
		for stopping := false; ; {
			n, err := unix.Read(r.fd, buf[:])
			switch {
			case err == nil:
				got = append(got, append([]byte(nil), buf[:n]...))
				continue
			case err == unix.EINTR:
				continue
			case err != unix.EAGAIN:
				t.Errorf("observer: read: %v", err)
			case !stopping:
				select {
				case <-stop:
					stopping = true // read until the queue is empty once more
				default:
					unix.Poll(fds, 1)
				}
				continue
			}
			frames <- got
			return
		}
	}()
	return func() [][]byte {
		close(stop)
		return <-frames
	}
}
