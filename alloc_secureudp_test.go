//go:build secureudp

package varta

// Proves that the secure UDP beat paths allocate nothing in both keying
// modes, IV prefix rotation and spent terminal counters included.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// TestSecureBeatPathsAllocateNothing checks SPEC R3.8 and R6 for both
// ways to key a secure agent: every outcome of a beat and of a terminal
// frame, IV prefix rotation and Reconnect allocate nothing, with either
// fork check.
func TestSecureBeatPathsAllocateNothing(t *testing.T) {
	var cases []allocCase
	for _, m := range secureModes {
		cases = append(cases,
			allocCase{"secure-" + m.name + "/sent", func(t *testing.T) (func(), func(*testing.T)) {
				r, port := listenUDP(t, "127.0.0.1")
				return expectOutcome(dialSecure(t, m, port, testKey(t)), sent, func() { r.tryRead() })
			}},
			allocCase{"secure-" + m.name + "/dropped-no-observer", func(t *testing.T) (func(), func(*testing.T)) {
				v, _ := dialUnreachable(t, secureConnect(t, m), "127.0.0.1")
				return expectSentOrRefused(beatOn(v))
			}},
			allocCase{"secure-" + m.name + "/dropped-no-observer-by-name", func(t *testing.T) (func(), func(*testing.T)) {
				v, _ := dialUnreachable(t, viaName(t, secureConnect(t, m)), "127.0.0.1")
				return expectPokes(v)
			}},
			allocCase{"secure-" + m.name + "/dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
				v := dialSecure(t, m, closedUDPPort(t, "127.0.0.1"), testKey(t))
				fd, _, _ := fullSocket(t)
				v.useSocket(t, fd)
				return expectOutcome(v, dropped(KernelQueueFull), nil)
			}},
			// Every beat is the last of its IV prefix, so every beat derives
			// the next prefix.
			allocCase{"secure-" + m.name + "/prefix-rotation", func(t *testing.T) (func(), func(*testing.T)) {
				r, port := listenUDP(t, "127.0.0.1")
				v := dialSecure(t, m, port, testKey(t))
				index := uint64(0)
				return expectOutcome(v, sent, func() {
					r.tryRead()
					index++
					v.setSessionPosition(index, lastCounter)
				})
			}},
			allocCase{"secure-" + m.name + "/terminal-sent", func(t *testing.T) (func(), func(*testing.T)) {
				r, port := listenUDP(t, "127.0.0.1")
				return expectTerminal(dialSecure(t, m, port, testKey(t)), sent, func() { r.tryRead() })
			}},
			allocCase{"secure-" + m.name + "/terminal-dropped-no-observer", func(t *testing.T) (func(), func(*testing.T)) {
				v, _ := dialUnreachable(t, secureConnect(t, m), "127.0.0.1")
				return expectSentOrRefused(v.SendTerminal)
			}},
			allocCase{"secure-" + m.name + "/terminal-dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
				v := dialSecure(t, m, closedUDPPort(t, "127.0.0.1"), testKey(t))
				fd, _, _ := fullSocket(t)
				v.useSocket(t, fd)
				return expectTerminal(v, dropped(KernelQueueFull), nil)
			}},
			// A reconnect replaces only the socket: no salt, no cipher
			// (R6.2, R6.7), so it allocates no more than a UDP one.
			allocCase{"secure-" + m.name + "/reconnect", func(t *testing.T) (func(), func(*testing.T)) {
				return expectReconnects(dialSecure(t, m, closedUDPPort(t, "127.0.0.1"), testKey(t)))
			}},
			// The session has claimed its last terminal counter: every
			// terminal frame is refused, sending nothing.
			allocCase{"secure-" + m.name + "/terminal-failed-counters-spent", func(t *testing.T) (func(), func(*testing.T)) {
				r, port := listenUDP(t, "127.0.0.1")
				v := dialSecure(t, m, port, testKey(t))
				v.setTerminalCounter(lastTerminalCounter + 1)
				return expectTerminal(v, failed(errOverflow, opTerminalSpent), func() {
					if r.tryRead() {
						t.Error("a refused terminal frame reached the observer")
					}
				})
			}},
		)
	}
	runAllocCases(t, cases)
}

// secureConnect returns the constructor of m with the test key bound.
func secureConnect(t *testing.T, m secureMode) func(host string, port int) (*Varta, error) {
	key := testKey(t)
	return func(host string, port int) (*Varta, error) { return m.connect(host, port, key) }
}

// TestOpenersAllocateWhatTheDocSays counts what each outcome of an
// opener's Open allocates, as "Replays" in the package documentation
// states it: a genuine frame, and for a shared key a forged one, one
// allocation (the 32 bytes the cipher opens into, which escape through its
// interface); a forged frame for a pid a MasterOpener does not know, the
// buffers of one key expansion, its cipher and that output; a replay, the
// output and the error that says why.
func TestOpenersAllocateWhatTheDocSays(t *testing.T) {
	const runs = 100
	for _, tc := range []struct {
		mode secureMode
		name string
		max  float64
		want error
		// wire returns a function that returns the datagram of each of n
		// runs, without allocating, once a's first beat, first, was
		// accepted.
		wire func(a *replayAgent, first []byte, n int) func() []byte
	}{
		{secureModes[0], "genuine", 1, nil, nextBeat},
		{secureModes[0], "forged", 1, ErrAuthentication, forgedBeat},
		{secureModes[0], "replay", 6, ErrReplay, sameBeat},
		{secureModes[1], "genuine-known-pid", 1, nil, nextBeat},
		{secureModes[1], "forged-unknown-pid", 6, ErrAuthentication, forgedBeat},
		{secureModes[1], "replay", 6, ErrReplay, sameBeat},
	} {
		t.Run(tc.mode.name+"/"+tc.name, func(t *testing.T) {
			key := testKey(t)
			o, _ := newOpener(t, tc.mode, key)
			a := newReplayAgent(key, tc.mode.master, 3000)
			first := a.beat()
			expectAccepted(t, o, first, "first beat")
			wire := tc.wire(a, first.wire, runs+1)
			got := testing.AllocsPerRun(runs, func() {
				if _, err := o.Open(wire()); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
			if got > tc.max {
				t.Errorf("got %v allocations, want at most %v", got, tc.max)
			}
		})
	}
}

// nextBeat returns a's next n beats, one a run.
func nextBeat(a *replayAgent, _ []byte, n int) func() []byte {
	var beats [][]byte
	for range n {
		beats = append(beats, a.beat().wire)
	}
	return func() []byte {
		w := beats[0]
		beats = beats[1:]
		return w
	}
}

// forgedBeat returns first with its tag altered, and for a master key
// under a pid of its own each run: a pid no opener knows.
func forgedBeat(_ *replayAgent, first []byte, n int) func() []byte {
	var forged [][]byte
	for i := range n {
		w := bytes.Clone(first)
		w[len(w)-1] ^= 1
		if len(w) == MasterFrameBytes {
			binary.LittleEndian.PutUint32(w[masterPID:], uint32(5000+i))
		}
		forged = append(forged, w)
	}
	return func() []byte {
		w := forged[0]
		forged = forged[1:]
		return w
	}
}

// sameBeat returns first, again and again.
func sameBeat(_ *replayAgent, first []byte, _ int) func() []byte {
	return func() []byte { return first }
}
