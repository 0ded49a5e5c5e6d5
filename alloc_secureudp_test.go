//go:build secureudp

package varta

// Proves that the secure UDP beat paths allocate nothing in both keying
// modes, IV prefix rotation and spent terminal counters included.

import "testing"

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
