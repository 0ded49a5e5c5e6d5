//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// errOverflow is the errno of a terminal frame refused because its
// session has no terminal nonce left.
const errOverflow = unix.EOVERFLOW

// sealing is a secure agent's sealing state: its key, its cipher, its
// session and the buffers it seals into, which are fields so that sealing
// allocates nothing (SPEC section 6). A reconnect keeps it (R6.2); restart,
// for a new process, starts a new session. An agent that sends plain frames
// has none: its methods take a nil *sealing to mean "send frames as they
// are".
type sealing struct {
	master bool
	key    secretKey // the shared key, or the master key; wiped by close
	// aead seals every frame. With a shared key it is built once, at
	// construction; with a master key it holds the key derived for
	// aeadPID, and is built again only when restart gets another pid.
	aead    cipher.AEAD
	aeadPID uint32
	s       *session // the current session; replaced, never reset

	nonce [nonceBytes]byte
	wire  [MasterFrameBytes]byte
}

// newSealing returns a sealing state holding a copy of key, and for a
// shared key the cipher it seals with for its life; restart starts its
// first session.
func newSealing(key []byte, master bool) *sealing {
	s := &sealing{master: master, key: newSecretKey(key)}
	if !master {
		s.aead = newCipher(s.key.b)
	}
	return s
}

// String and GoString keep the sealing state's keys out of printed
// output.
func (s *sealing) String() string { return "varta.sealing(redacted)" }

func (s *sealing) GoString() string { return s.String() }

// beat returns frame sealed as the next beat of the session, and moves the
// session past the nonce it used, whatever the send of it returns (R6.4:
// a send reported failed may still have left the host). A spent session
// is first replaced by a new one. Without sealing state it returns frame
// as it is.
func (s *sealing) beat(frame *[FrameBytes]byte) []byte {
	if s == nil {
		return frame[:]
	}
	if s.s.spent() {
		s.s = newSession()
	}
	ss := s.s
	wire := s.seal(frame, &ss.prefix, uint32(ss.counter))
	ss.advance()
	return wire
}

// seal seals frame under the nonce prefix || u32le(counter) in the layout
// of the agent's key mode: the shared-key layout, or the master-key
// layout with the pid of the cipher's key in the clear as associated
// data.
func (s *sealing) seal(frame *[FrameBytes]byte, prefix *[prefixBytes]byte, counter uint32) []byte {
	copy(s.nonce[:], prefix[:])
	binary.LittleEndian.PutUint32(s.nonce[counterAt:], counter)
	if !s.master {
		copy(s.wire[sharedNonce:], s.nonce[:])
		return s.aead.Seal(s.wire[:sharedSeal], s.nonce[:], frame[:], nil)
	}
	binary.LittleEndian.PutUint32(s.wire[masterPID:], s.aeadPID)
	copy(s.wire[masterNonce:], s.nonce[:])
	return s.aead.Seal(s.wire[:masterSeal], s.nonce[:], frame[:], s.wire[masterPID:masterNonce])
}

// terminal returns a terminal frame sealed with the cipher and in the
// layout of the agent's beats, under a prefix no beat can use (R7.3): HKDF
// of the session salt with the pid, the timestamp and a terminal counter
// claimed from the session (the agent's lock makes the claim atomic). It
// refuses the frame, Failed, with EOVERFLOW when the session has no
// terminal counter left, and with EINVAL when the frame names another pid
// than the cipher's key (a fork not yet followed). Without sealing state it
// returns frame as it is.
func (s *sealing) terminal(frame *[FrameBytes]byte) (wire []byte, refused BeatOutcome) {
	if s == nil {
		return frame[:], refused
	}
	pid := binary.LittleEndian.Uint32(frame[offPID:])
	ts := binary.LittleEndian.Uint64(frame[offTimestamp:])
	if s.master && pid != s.aeadPID {
		return nil, failed(errInvalid, opTerminalStaleKey)
	}
	c, ok := s.s.claimTerminal()
	if !ok {
		return nil, failed(errOverflow, opTerminalSpent)
	}
	prefix := s.s.iv.panicPrefix(pid, ts, c)
	return s.seal(frame, &prefix, c), refused
}

// restart sets the sealing state up for a new process with the given pid:
// a new session (new salt) and, in master-key mode when pid differs from
// the pid of the current cipher, the cipher of pid's derived key. Without
// sealing state it does nothing.
func (s *sealing) restart(pid uint32) {
	if s == nil {
		return
	}
	s.s = newSession()
	if s.master && (s.aead == nil || pid != s.aeadPID) {
		s.aead = scrubbedAgentCipher(s.key.b, pid)
	}
	s.aeadPID = pid
}

// close wipes the key, the last nonce and the last sealed frame, and drops
// the cipher and the session. Without sealing state it does nothing.
func (s *sealing) close() {
	if s == nil {
		return
	}
	s.key.wipe()
	clear(s.nonce[:])
	clear(s.wire[:])
	s.aead = nil
	s.s = nil
}
