//go:build unix && secureudp

package varta

import "crypto/rand"

const (
	saltBytes   = 16 // session salt, from crypto/rand (R6.2)
	prefixBytes = 8  // IV prefix: the first 8 bytes of the AEAD nonce

	// lastCounter is the last counter used under one IV prefix (R6.4).
	lastCounter = 1<<32 - 2
	// lastIndex is the last IV prefix index of a session; past it the
	// session is spent and a new salt is drawn.
	lastIndex = 1<<32 - 1
	// lastTerminalCounter is the last counter a terminal frame may claim
	// (R7.3).
	lastTerminalCounter = 1<<32 - 1
)

// session is the nonce state of one secure UDP session: a random salt,
// from which the IV prefixes are derived, and the position in them. A
// session is replaced, never reset, so no nonce it used can be used again
// with a fresh counter. The cipher is not part of it: a session is
// renewed without deriving or building a key.
type session struct {
	iv *ivDeriver

	// The next (index, counter) pair to seal with, and the IV prefix of
	// index. index is lastIndex+1 once the session is spent.
	prefix  [prefixBytes]byte
	index   uint64
	counter uint64

	terminal uint64 // next terminal counter; lastTerminalCounter+1 when spent
}

// newSession starts a session with a fresh salt from crypto/rand, which
// never fails.
func newSession() *session {
	var salt [saltBytes]byte
	rand.Read(salt[:])
	s := sessionFromSalt(salt[:])
	clear(salt[:])
	return s
}

// sessionFromSalt starts a session whose IV prefixes derive from salt.
func sessionFromSalt(salt []byte) *session {
	iv := newIVDeriver(salt)
	return &session{iv: iv, prefix: iv.ivPrefix(0)}
}

// String and GoString keep a session's state out of printed output.
func (s *session) String() string { return "varta.session(redacted)" }

func (s *session) GoString() string { return s.String() }

// spent reports whether every IV prefix of the session has been used.
func (s *session) spent() bool { return s.index > lastIndex }

// advance consumes the (index, counter) pair just sealed with: the next
// seal uses the following counter, or the next prefix with counter 0 once
// the counter has reached lastCounter (R6.4).
func (s *session) advance() {
	if s.counter < lastCounter {
		s.counter++
		return
	}
	s.counter = 0
	s.index++
	if s.index <= lastIndex {
		s.prefix = s.iv.ivPrefix(uint32(s.index))
	}
}

// claimTerminal returns the next terminal counter and consumes it, or
// false when all 2^32 have been claimed. A claim is final whatever the send
// returns, so a terminal nonce is never used twice.
func (s *session) claimTerminal() (uint32, bool) {
	if s.terminal > lastTerminalCounter {
		return 0, false
	}
	c := s.terminal
	s.terminal++
	return uint32(c), true
}
