//go:build secureudp && unix

package varta

// Test hooks for the secure transport: move a session to the end of its
// counters, prefixes or terminal counters, so tests reach rotation and
// exhaustion without 2^32 beats (they only move state forward, as beats
// would), and send terminal frames with a chosen timestamp.

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

// fireTerminal sends a terminal frame with timestamp ts through the secure
// transport, holding the agent's lock as the agent does for every
// transport call, so tests choose the timestamp the terminal prefix is
// derived from.
func (v *Varta) fireTerminal(ts uint64) BeatOutcome {
	v.mu.Lock()
	defer v.mu.Unlock()
	Frame{Status: StatusCritical, PID: v.pid, Timestamp: ts, Nonce: NonceTerminal}.Encode(&v.frame)
	return v.tr.(*secureTransport).sendTerminal(&v.frame)
}
