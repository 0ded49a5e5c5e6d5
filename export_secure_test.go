//go:build secureudp && unix

package varta

// Test hooks for the secure transport: move a session to the end of its
// counters, prefixes or terminal counters, so tests reach rotation and
// exhaustion without 2^32 beats. They only move state forward, as beats
// would.

func (t *secureTransport) socket() *dgramSocket { return &t.sock }

// secure returns the agent's secure transport.
func (v *Varta) secure() *secureTransport {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.tr.(*secureTransport)
}

// setSessionPosition makes (index, counter) the next pair the session
// seals with.
func (v *Varta) setSessionPosition(index, counter uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.tr.(*secureTransport).s
	if index < s.index || index == s.index && counter < s.counter {
		panic("setSessionPosition would move the session back")
	}
	s.index, s.counter = index, counter
	s.prefix = s.iv.ivPrefix(uint32(index))
}

// setTerminalCounter makes c the next terminal counter the session claims.
func (v *Varta) setTerminalCounter(c uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.tr.(*secureTransport).s
	if c < s.terminal {
		panic("setTerminalCounter would move the session back")
	}
	s.terminal = c
}
