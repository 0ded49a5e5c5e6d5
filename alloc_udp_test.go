//go:build (udp || secureudp) && unix

package varta

import "testing"

// expectSentOrRefused returns an op that beats on v, whose observer's port
// is closed, and a check that beats were Dropped(NoObserver) and nothing
// else but Sent: each beat that gets out provokes an ICMP port-unreachable,
// which makes the next send fail with ECONNREFUSED.
func expectSentOrRefused(v *Varta) (func(), func(*testing.T)) {
	var refused int
	var bad BeatOutcome
	op := func() {
		switch out := v.Beat(StatusOK, 7); out {
		case dropped(NoObserver):
			refused++
		case sent:
		default:
			bad = out
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		if bad != (BeatOutcome{}) {
			t.Fatalf("a beat returned %v, want sent or dropped: no observer", bad)
		}
		if refused == 0 {
			t.Fatal("no beat was dropped: no observer")
		}
	}
	return op, check
}

// expectTerminalSent returns an op that sends terminal frames with
// increasing timestamps, and a check that every one was Sent.
func expectTerminalSent(v *Varta, after func()) (func(), func(*testing.T)) {
	var ts uint64
	var bad BeatOutcome
	op := func() {
		ts++
		if out := v.fireTerminal(ts); out != sent {
			bad = out
		}
		after()
	}
	check := func(t *testing.T) {
		t.Helper()
		if bad != (BeatOutcome{}) {
			t.Fatalf("a terminal frame returned %v, want sent", bad)
		}
	}
	return op, check
}

func init() {
	allocCases = append(allocCases,
		allocCase{"udp/sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "127.0.0.1")
			return expectOutcome(connectUDP(t, "127.0.0.1", port), sent, func() { r.tryRead() })
		}},
		allocCase{"udp/ipv6-sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "::1")
			return expectOutcome(connectUDP(t, "::1", port), sent, func() { r.tryRead() })
		}},
		allocCase{"udp/dropped-no-observer", func(t *testing.T) (func(), func(*testing.T)) {
			return expectSentOrRefused(connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1")))
		}},
		allocCase{"udp/dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
			v := connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1"))
			fd, _, _ := fullSocket(t)
			v.useSocket(t, fd)
			return expectOutcome(v, dropped(KernelQueueFull), nil)
		}},
		allocCase{"udp/terminal-sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "127.0.0.1")
			return expectTerminalSent(connectUDP(t, "127.0.0.1", port), func() { r.tryRead() })
		}},
		allocCase{"udp/reconnect", func(t *testing.T) (func(), func(*testing.T)) {
			v := connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1"))
			var err error
			return func() {
					if e := v.Reconnect(); e != nil {
						err = e
					}
				}, func(t *testing.T) {
					if err != nil {
						t.Fatalf("Reconnect: %v", err)
					}
				}
		}},
	)
}
