//go:build udp || secureudp

package varta

// Proves that UDP agents of every variant turn a closed, restarted or
// stopped observer into the right drops, and survive Close while beating.

import (
	"os"
	"testing"
	"time"
)

// Faults injected into the UDP transports with real loopback sockets, over
// IPv4 and IPv6 and for each UDP variant (plain, and with -tags secureudp
// the shared-key and master-key ones). Each test asserts the exact outcomes
// and Stats and that the next good beat gets through. UDP has no
// connection: a connected UDP socket names an address, not a peer, so the
// only sign of a missing observer is the ICMP port-unreachable reply that
// a send provokes, which the kernel hands to the next send as
// ECONNREFUSED. The descriptor limit is in faults_udp_linux_test.go.

// TestUDPObserverPortClosed beats to a port nothing is bound to. The
// kernel accepts the first beat; the ICMP reply it provokes makes the next
// beat Dropped(NoObserver), which commits nothing. Once an observer binds
// the port, the next beat gets through on the same socket with the nonce
// after the lost first beat's.
func TestUDPObserverPortClosed(t *testing.T) {
	for _, u := range udpVariants(t) {
		for _, ip := range loopbacks {
			t.Run(u.name+"/"+ip, func(t *testing.T) {
				v, port := dialUnreachable(t, u.connect, ip)
				fd := v.socketFD()
				expectBeat(t, v, "sent")
				awaitSocketError(t, v)
				expectBeat(t, v, "dropped: no observer")
				if got, want := v.Stats(), (Stats{Sent: 1, DroppedNoObserver: 1}); got != want {
					t.Fatalf("Stats = %+v, want %+v", got, want)
				}

				r, _ := listenUDPAt(t, ip, port)
				u.beatArrives(t, v, r, 2, 7)
				if got, want := v.Stats(), (Stats{Sent: 2, DroppedNoObserver: 1}); got != want {
					t.Fatalf("Stats = %+v, want %+v", got, want)
				}
				if v.socketFD() != fd {
					t.Fatal("the agent replaced its socket without being asked to")
				}
			})
		}
	}
}

// TestUDPOutageBeatsWithinAnIntervalSendNothing beats in a loop without
// pauses (a clock that stands still) to a port nothing is bound to: once
// the socket has reported the refusal, the beats of the next reconnect
// spacing read Dropped(NoObserver) without a send (R3.9), so an observer
// that binds meanwhile receives nothing from them. The first beat after
// the interval is sent again, reaches it, and carries the nonce after the
// lost first beat's.
func TestUDPOutageBeatsWithinAnIntervalSendNothing(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			v, port := dialUnreachable(t, u.connect, "127.0.0.1")
			expectBeat(t, v, "sent") // gets out; nobody receives it
			awaitSocketError(t, v)
			v.advanceClock(0) // stands still from now on
			expectBeat(t, v, "dropped: no observer")
			r, _ := listenUDPAt(t, "127.0.0.1", port)
			for range 100 {
				expectBeat(t, v, "dropped: no observer")
			}
			r.expectNothing()
			if got, want := v.Stats(), (Stats{Sent: 1, DroppedNoObserver: 101}); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
			v.advanceClock(time.Duration(reconnectSpacing))
			u.beatArrives(t, v, r, 2, 9)
		})
	}
}

// TestUDPObserverRestartedOnSamePort stops the observer and starts a new
// one on the same port. The beat sent while it was down is lost, and the
// ICMP reply it provoked is still pending on the agent's socket when the
// new observer starts. That stale error drops the next beat as NoObserver,
// and the beat after it reaches the new observer: unlike a Unix socket, a
// UDP socket needs no reconnect to find a restarted observer, so by
// default the agent keeps its socket. With SetReconnectAfter(1) the drop
// replaces the socket but stands: a fresh UDP socket cannot tell whether
// anyone listens, so the agent does not resend on it (R3.7). Either way
// the new observer's first frame carries nonce 3: nonce 2 was the lost
// beat.
func TestUDPObserverRestartedOnSamePort(t *testing.T) {
	for _, u := range udpVariants(t) {
		for _, ip := range loopbacks {
			for _, auto := range []bool{false, true} {
				name := u.name + "/" + ip + "/default"
				if auto {
					name = u.name + "/" + ip + "/reconnect-after-1"
				}
				t.Run(name, func(t *testing.T) {
					r, port := listenUDP(t, ip)
					v := u.dial(t, ip, port)
					v.tickClock() // every beat reaches the socket
					if auto {
						v.SetReconnectAfter(1)
					}
					u.beatArrives(t, v, r, 1, 1)

					r.close()
					expectBeat(t, v, "sent") // lost: nothing is bound
					awaitSocketError(t, v)
					r, _ = listenUDPAt(t, ip, port)
					fd := v.socketFD()

					expectBeat(t, v, "dropped: no observer")
					u.beatArrives(t, v, r, 3, 3)
					want := Stats{Sent: 3, DroppedNoObserver: 1}
					if auto {
						want.Reconnects = 1
					}
					if got := v.Stats(); got != want {
						t.Fatalf("Stats = %+v, want %+v", got, want)
					}
					if replaced := v.socketFD() != fd; replaced != auto {
						t.Fatalf("socket replaced: %v, want %v", replaced, auto)
					}
					r.expectNothing()
				})
			}
		}
	}
}

// TestUDPStoppedObserverShowsAsNoObserverDrops beats, about 1 ms apart, to
// a port whose observer has stopped, with self-healing at its default, off
// and at SetReconnectAfter(1), for each UDP variant. Each beat that gets
// out provokes an ICMP refusal; the beat after it must read
// Dropped(NoObserver) whatever the setting: a reconnect may replace the
// socket, but a resend on the fresh one would read Sent although nobody
// received it (R3.7). So Stats().DroppedNoObserver grows by one a round
// in every setting, and once an observer binds the port the next beat
// arrives on the socket the agent holds.
func TestUDPStoppedObserverShowsAsNoObserverDrops(t *testing.T) {
	const rounds = 20
	for _, u := range udpVariants(t) {
		for _, tc := range []struct {
			name       string
			set        func(v *Varta)
			reconnects uint64
		}{
			{"default", func(*Varta) {}, 0},
			{"reconnect-after-0", func(v *Varta) { v.SetReconnectAfter(0) }, 0},
			{"reconnect-after-1", func(v *Varta) { v.SetReconnectAfter(1) }, rounds},
		} {
			t.Run(u.name+"/"+tc.name, func(t *testing.T) {
				v, port := dialUnreachable(t, u.connect, "127.0.0.1")
				tc.set(v)
				for i := range rounds {
					expectBeat(t, v, "sent") // gets out; nobody receives it
					awaitSocketError(t, v)
					time.Sleep(time.Millisecond)
					if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
						t.Fatalf("round %d: the beat after an ICMP refusal = %v, want dropped: no observer", i, out)
					}
					if got := v.Stats().DroppedNoObserver; got != uint64(i+1) {
						t.Fatalf("round %d: DroppedNoObserver = %d, want %d", i, got, i+1)
					}
					time.Sleep(time.Millisecond)
				}
				want := Stats{Sent: rounds, DroppedNoObserver: rounds, Reconnects: tc.reconnects}
				if got := v.Stats(); got != want {
					t.Fatalf("Stats = %+v, want %+v", got, want)
				}
				r, _ := listenUDPAt(t, "127.0.0.1", port)
				u.beatArrives(t, v, r, rounds+1, 9)
			})
		}
	}
}

// TestUDPCloseWhileBeatingConcurrently closes an agent that 8 goroutines
// are beating on (closeWhileBeating) while an observer reads. Every
// datagram that arrived opens to a beat of this process with a nonce the
// agent reported sent, no nonce arrives twice, and no more arrived than
// were sent. A UDP observer whose buffer is full loses datagrams without
// the sender knowing, so not every Sent beat need arrive.
func TestUDPCloseWhileBeatingConcurrently(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			v := u.dial(t, "127.0.0.1", port)
			c := collect(t, r)
			sum := closeWhileBeating(t, v)
			frames := c.finish()

			pid := uint32(os.Getpid())
			seen := make(map[uint64]bool)
			for _, wire := range frames {
				f := u.open(t, wire, pid)
				if f.Nonce == 0 || f.Nonce > sum.Sent || seen[f.Nonce] {
					t.Fatalf("beat with nonce %d: repeated, or beyond the %d sent", f.Nonce, sum.Sent)
				}
				seen[f.Nonce] = true
			}
			if len(frames) == 0 {
				t.Fatal("the observer received nothing")
			}
			t.Logf("%d beats sent, %d received, %d failed after Close", sum.Sent, len(frames), sum.Failed)
		})
	}
}
