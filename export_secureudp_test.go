//go:build secureudp

package varta

// Hooks into a secure agent's sealing state: reach it and its session,
// move a session to the end of its counters, prefixes or terminal counters
// (only forward, as beats would) so tests reach rotation and exhaustion
// without 2^32 beats, send terminal frames with a chosen timestamp, build
// an agent that seals on a given socket and salt, and make sends leak.

import (
	"testing"

	"golang.org/x/sys/unix"
)

// secure returns the agent's sealing state.
func (v *Varta) secure() *sealing {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.seal
}

// setSessionPosition makes (index, counter) the next pair the session
// seals with.
func (v *Varta) setSessionPosition(index, counter uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.seal.s
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
	s := v.seal.s
	if c < s.terminal {
		panic("setTerminalCounter would move the session back")
	}
	s.terminal = c
}

// fireTerminal sends a terminal frame with timestamp ts as SendTerminal
// sends it, holding the agent's lock, so tests choose the timestamp the
// terminal prefix is derived from.
func (v *Varta) fireTerminal(ts uint64) BeatOutcome {
	v.mu.Lock()
	defer v.mu.Unlock()
	var frame [FrameBytes]byte
	Frame{Status: StatusCritical, PID: v.pid, Timestamp: ts, Nonce: NonceTerminal}.Encode(&frame)
	return v.sealAndSendTerminal(&frame)
}

// sealAndSend seals frame as the agent's next beat and sends it, as Beat
// does with the frame it encoded.
func (v *Varta) sealAndSend(frame *[FrameBytes]byte) BeatOutcome {
	v.frame = *frame
	return v.send()
}

// sealAndSendTerminal seals the terminal frame frame and sends it, as
// SendTerminal does with the frame it encoded.
func (v *Varta) sealAndSendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	v.frame = *frame
	wire, refused := v.seal.terminal(&v.frame)
	if refused.IsFailed() {
		return refused
	}
	return v.sendWire(wire)
}

// testTransport is an agent reduced to what the vector and fuzz tests
// drive: its sealing state and its socket. send and sendTerminal seal and
// send the frame they are given with the agent's own code.
type testTransport struct {
	*sealing
	v *Varta
}

func (t testTransport) send(frame *[FrameBytes]byte) BeatOutcome { return t.v.sealAndSend(frame) }

func (t testTransport) sendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	return t.v.sealAndSendTerminal(frame)
}

// newTestTransport returns an agent that sends on fd, sealing with key (in
// master-key mode, with the key derived from it for pid) in a session
// whose IV prefixes derive from salt, positioned at prefix 0 and counter
// 0.
func newTestTransport(tb testing.TB, fd int, key *[KeyBytes]byte, master bool, pid uint32, salt []byte) testTransport {
	tb.Helper()
	seal := &sealing{master: master, key: newSecretKey(key[:]), s: sessionFromSalt(salt), aeadPID: pid}
	if master {
		seal.aead = agentCipher(key, pid)
	} else {
		seal.aead = newCipher(key)
	}
	return testTransport{seal, &Varta{fd: fd, pid: pid, seal: seal}}
}

// leakSends makes the agent's sends leave the host and still be reported
// failed, as a datagram copied by a netfilter TEE and then dropped is:
// each frame is sealed as always and sent, and the outcome is
// Dropped(KernelQueueFull) whatever the kernel said, until restore is
// called.
func (v *Varta) leakSends() (restore func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sendHook = func(wire []byte) BeatOutcome {
		unix.Send(v.fd, wire, 0)
		return dropped(KernelQueueFull)
	}
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.sendHook = nil
	}
}

// restartFor sets the agent up for pid under its lock, as fork recovery
// does, and returns the cipher and session it left.
func (v *Varta) restartFor(pid uint32) (any, *session, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f := v.setUp(pid); f.failed() {
		return v.seal.aead, v.seal.s, v.ep.describe(f)
	}
	return v.seal.aead, v.seal.s, nil
}

// skipTo moves the session forward to counter under its current IV
// prefix, as beats would, so that tests reach the rotation to the next
// prefix without 2^32 beats.
func (s *session) skipTo(counter uint64) {
	if counter < s.counter || counter > lastCounter {
		panic("skipTo would move the session back or past its last counter")
	}
	s.counter = counter
}

// snapshot returns what the replay memory holds, pid by pid from the one
// with the most recently accepted frame, with the links left out, so
// that tests can compare it before and after a frame.
func (m *replayMemory) snapshot() []pidState {
	var s []pidState
	for e := m.newest; e != nil; e = e.older {
		c := *e
		c.newer, c.older = nil, nil
		s = append(s, c)
	}
	if len(s) != len(m.pids) {
		panic("the list and the map of the replay memory disagree")
	}
	return s
}
