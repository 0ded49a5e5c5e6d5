//go:build secureudp

package varta

// Hooks into the secure UDP transport: reach its socket and session, move
// a session to the end of its counters, prefixes or terminal counters
// (only forward, as beats would) so tests reach rotation and exhaustion
// without 2^32 beats, send terminal frames with a chosen timestamp, build
// a transport on a given socket and salt, and make sends leak.

import (
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

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

// newTestTransport returns a secure transport that sends on fd, sealing
// with key (in master-key mode, with the key derived from it for pid) in a
// session whose IV prefixes derive from salt, positioned at prefix 0 and
// counter 0.
func newTestTransport(tb testing.TB, fd int, key *[KeyBytes]byte, master bool, pid uint32, salt []byte) *secureTransport {
	tb.Helper()
	s, err := sessionFromSalt(salt)
	if err != nil {
		tb.Fatal(err)
	}
	t := &secureTransport{link: link{sock: dgramSocket{fd: fd}}, master: master, key: newSecretKey(key[:]), s: s, aeadPID: pid}
	if master {
		t.aead, err = agentCipher(key, pid)
	} else {
		t.aead, err = chacha20poly1305.New(key[:])
	}
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// leakyTransport is a secure transport whose sends leave the host and are
// still reported failed, as a datagram copied by a netfilter TEE and then
// dropped is: each beat is sealed as send seals it and sent, and the
// outcome is Dropped(KernelQueueFull) whatever the kernel said.
type leakyTransport struct{ *secureTransport }

func (l leakyTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	if sealed, ok := l.sealBeat(frame); ok {
		l.sock.send(sealed)
	}
	return dropped(KernelQueueFull)
}

func (l leakyTransport) sendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	l.secureTransport.sendTerminal(frame)
	return dropped(KernelQueueFull)
}

// leakSends makes the agent's sends leak until restore is called.
func (v *Varta) leakSends() (restore func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	st := v.tr.(*secureTransport)
	v.tr = leakyTransport{st}
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.tr = st
	}
}

// restartFor calls the transport's restart for pid under the agent's lock,
// as fork recovery does, and returns the cipher and session it left.
func (v *Varta) restartFor(pid uint32) (any, *session, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	tr := v.tr.(*secureTransport)
	err := tr.restart(pid)
	return tr.aead, tr.s, err
}
