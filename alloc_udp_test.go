//go:build udp || secureudp

package varta

// Proves that the plain UDP beat paths allocate nothing: sent, dropped
// (poking the name watch of an agent connected by name too), terminal,
// fork recovery and reconnect.

import "testing"

// expectSentOrRefused returns an op that calls send on an agent whose
// observer's port is closed, and a check that every call was Sent or
// Dropped(NoObserver), and some were dropped: each frame that gets out
// provokes an ICMP port-unreachable, which makes a later send fail with
// ECONNREFUSED.
func expectSentOrRefused(send func() BeatOutcome) (func(), func(*testing.T)) {
	var refused int
	var bad BeatOutcome
	op := func() {
		switch out := send(); out {
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
			t.Fatalf("a send returned %v, want sent or dropped: no observer", bad)
		}
		if refused == 0 {
			t.Fatal("no send was dropped: no observer")
		}
	}
	return op, check
}

// expectPokes returns expectSentOrRefused's op and check for the beats of
// v, an agent connected by name: each refused one pokes its name watch.
func expectPokes(v *Varta) (func(), func(*testing.T)) {
	op, check := expectSentOrRefused(beatOn(v))
	return op, func(t *testing.T) {
		t.Helper()
		if _, ok := v.watching(); !ok {
			t.Fatal("the agent connected by name has no name watch")
		}
		check(t)
	}
}

// beatOn returns a beat on v, for expectSentOrRefused.
func beatOn(v *Varta) func() BeatOutcome {
	return func() BeatOutcome { return v.Beat(StatusOK, 7) }
}

// TestUDPBeatPathsAllocateNothing checks SPEC R3.8 for the plain UDP
// transport: every outcome of a beat and of a terminal frame, fork
// recovery and Reconnect allocate nothing, with either fork check.
func TestUDPBeatPathsAllocateNothing(t *testing.T) {
	runAllocCases(t, []allocCase{
		{"udp/sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "127.0.0.1")
			return expectOutcome(connectUDP(t, "127.0.0.1", port), sent, func() { r.tryRead() })
		}},
		{"udp/ipv6-sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "::1")
			return expectOutcome(connectUDP(t, "::1", port), sent, func() { r.tryRead() })
		}},
		{"udp/dropped-no-observer", func(t *testing.T) (func(), func(*testing.T)) {
			v, _ := dialUnreachable(t, ConnectUDP, "127.0.0.1")
			return expectSentOrRefused(beatOn(v))
		}},
		// Every refused beat pokes the agent's name watch.
		{"udp/dropped-no-observer-by-name", func(t *testing.T) (func(), func(*testing.T)) {
			v, _ := dialUnreachable(t, viaName(t, ConnectUDP), "127.0.0.1")
			return expectPokes(v)
		}},
		// Every refused beat replaces the socket; the drop stands.
		{"udp/dropped-no-observer-reconnect-after-1", func(t *testing.T) (func(), func(*testing.T)) {
			v, _ := dialUnreachable(t, ConnectUDP, "127.0.0.1")
			v.SetReconnectAfter(1)
			op, check := expectSentOrRefused(beatOn(v))
			return op, func(t *testing.T) {
				check(t)
				if st := v.Stats(); st.Reconnects != st.DroppedNoObserver {
					t.Fatalf("Stats = %+v, want a reconnect for every drop", st)
				}
			}
		}},
		// An outage's beats within an interval send nothing (R3.9).
		{"udp/no-observer-within-interval", func(t *testing.T) (func(), func(*testing.T)) {
			v, _ := dialUnreachable(t, ConnectUDP, "127.0.0.1")
			expectBeat(t, v, "sent")
			awaitSocketError(t, v)
			v.advanceClock(0) // stands still from now on
			expectBeat(t, v, "dropped: no observer")
			return expectOutcome(v, dropped(NoObserver), nil)
		}},
		{"udp/dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
			v := connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1"))
			fd, _, _ := fullSocket(t)
			v.useSocket(t, fd)
			return expectOutcome(v, dropped(KernelQueueFull), nil)
		}},
		{"udp/terminal-sent", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "127.0.0.1")
			return expectTerminal(connectUDP(t, "127.0.0.1", port), sent, func() { r.tryRead() })
		}},
		{"udp/terminal-dropped-no-observer", func(t *testing.T) (func(), func(*testing.T)) {
			v, _ := dialUnreachable(t, ConnectUDP, "127.0.0.1")
			return expectSentOrRefused(v.SendTerminal)
		}},
		{"udp/terminal-dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
			v := connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1"))
			fd, _, _ := fullSocket(t)
			v.useSocket(t, fd)
			return expectTerminal(v, dropped(KernelQueueFull), nil)
		}},
		{"udp/fork-recovery", func(t *testing.T) (func(), func(*testing.T)) {
			r, port := listenUDP(t, "127.0.0.1")
			return expectForkRecoveries(connectUDP(t, "127.0.0.1", port), func() { r.tryRead() })
		}},
		{"udp/reconnect", func(t *testing.T) (func(), func(*testing.T)) {
			return expectReconnects(connectUDP(t, "127.0.0.1", closedUDPPort(t, "127.0.0.1")))
		}},
	})
}
