//go:build udp || secureudp

package varta

// Proves that terminal frames over every UDP variant arrive and never
// block.

import (
	"os"
	"testing"
	"time"
)

// TestSendTerminalOverUDP sends terminal frames through the agent API over
// each UDP variant, IPv4 and IPv6: a 32-byte frame over plain UDP, and
// over secure UDP one in the layout of the beats (60 bytes opened with the
// shared key, 64 opened with the master key alone). Each is status Critical, nonce
// NonceTerminal, payload 0, this process's pid, and no earlier than the
// last beat; with the clock stopped, the second still carries a strictly
// greater timestamp. Terminal frames take no nonce from the beats and do
// not count in Stats.
func TestSendTerminalOverUDP(t *testing.T) {
	pid := uint32(os.Getpid())
	for _, u := range udpVariants(t) {
		for _, ip := range loopbacks {
			t.Run(u.name+"/"+ip, func(t *testing.T) {
				r, port := listenUDP(t, ip)
				v := u.dial(t, ip, port)
				if out := v.Beat(StatusOK, 5); !out.IsSent() {
					t.Fatalf("beat = %v", out)
				}
				beat := u.recvBeat(t, r, 1)
				frozen := time.Now()
				v.setClock(func() time.Time { return frozen })

				var last uint64
				for i := range 2 {
					if out := v.SendTerminal(); !out.IsSent() {
						t.Fatalf("SendTerminal %d = %v", i, out)
					}
					wire := r.recv()
					if len(wire) != u.terminalBytes {
						t.Fatalf("terminal frame of %d bytes, want %d", len(wire), u.terminalBytes)
					}
					f := u.open(t, wire, pid)
					want := Frame{Status: StatusCritical, PID: pid, Timestamp: f.Timestamp, Nonce: NonceTerminal}
					switch {
					case f != want:
						t.Fatalf("terminal frame %+v, want %+v", f, want)
					case f.Timestamp < beat.Timestamp:
						t.Fatalf("terminal timestamp %d is earlier than the last beat's %d", f.Timestamp, beat.Timestamp)
					case i > 0 && f.Timestamp <= last:
						t.Fatalf("terminal timestamp %d after %d", f.Timestamp, last)
					}
					last = f.Timestamp
				}

				u.beatArrives(t, v, r, 2, 6)
				if got, want := v.Stats(), (Stats{Sent: 2}); got != want {
					t.Fatalf("Stats = %+v, want %+v: the beats only", got, want)
				}
				r.expectNothing()
			})
		}
	}
}

// TestSendTerminalOverUDPNeverBlocks fires terminal frames where a send
// could block: at an observer that never reads (a UDP sender does not see
// that: the frames are Sent and the observer's kernel discards them), at a
// port nothing is bound to (once its ICMP reply is back,
// Dropped(NoObserver)), and into a socket whose queue is full
// (Dropped(KernelQueueFull)). Each call must return; the hang guard fails
// the test otherwise.
func TestSendTerminalOverUDPNeverBlocks(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			_, port := listenUDP(t, "127.0.0.1") // never read
			v := u.dial(t, "127.0.0.1", port)
			const fired = 2000 // far more than an observer's buffer holds
			out := within(t, "SendTerminal to an observer that never reads", func() BeatOutcome {
				for range fired {
					if out := v.SendTerminal(); !out.IsSent() {
						return out
					}
				}
				return sent
			})
			if !out.IsSent() {
				t.Fatalf("SendTerminal to an observer that never reads = %v, want Sent", out)
			}

			v, _ = dialUnreachable(t, u.connect, "127.0.0.1")
			if out := v.SendTerminal(); !out.IsSent() {
				t.Fatalf("first SendTerminal to a closed port = %v, want Sent", out)
			}
			awaitSocketError(t, v)
			if out := within(t, "SendTerminal to a closed port", v.SendTerminal); out != dropped(NoObserver) {
				t.Fatalf("SendTerminal after the ICMP reply = %v, want dropped: no observer", out)
			}

			fd, full, queued := fullSocket(t)
			v.useSocket(t, fd)
			if out := within(t, "SendTerminal into a full queue", v.SendTerminal); out != dropped(KernelQueueFull) {
				t.Fatalf("SendTerminal into a full queue = %v, want dropped: kernel queue full", out)
			}
			if n := full.drain(); n != queued {
				t.Fatalf("%d datagrams queued, %d before the dropped terminal frame", n, queued)
			}
			if got := v.Stats(); got != (Stats{}) {
				t.Fatalf("Stats = %+v: terminal frames are not counted", got)
			}
		})
	}
}

// within runs f on another goroutine and returns its result, failing the
// test if f has not returned after 10 seconds: a hang guard.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(10 * time.Second):
	}
	t.Fatalf("hung: %s did not return within 10s", what)
	var zero T
	return zero
}
