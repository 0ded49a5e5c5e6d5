//go:build unix && secureudp

package varta

import (
	"crypto/rand"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes of the secure frame layouts (SPEC R6.3). Only built with -tags
// secureudp.
const (
	// SecureFrameBytes is the length of a frame sealed with a shared key:
	// IV prefix (8), counter (4), ciphertext (32), tag (16). The beats and
	// terminal frames of a shared-key agent use this layout.
	SecureFrameBytes = 60
	// MasterFrameBytes is the length of a frame of a master-key agent: the
	// sender's pid (4) in the clear, then the shared-key layout, sealed
	// with the key derived for that pid. The beats and terminal frames of
	// a master-key agent use this layout (R7.3).
	MasterFrameBytes = 64
)

// The layouts below add up to the exported sizes: an array length that
// goes negative fails to compile, so each pair of lines proves equality.
var (
	_ [SecureFrameBytes - (sharedSeal + FrameBytes + chacha20poly1305.Overhead)]struct{}
	_ [sharedSeal + FrameBytes + chacha20poly1305.Overhead - SecureFrameBytes]struct{}
	_ [MasterFrameBytes - (masterSeal + FrameBytes + chacha20poly1305.Overhead)]struct{}
	_ [masterSeal + FrameBytes + chacha20poly1305.Overhead - MasterFrameBytes]struct{}
)

// Byte positions in the secure layouts (R6.3). A shared-key frame is the
// AEAD nonce followed by the sealed frame; a master-key frame puts the pid
// in front of that, and authenticates it as associated data.
const (
	pidBytes    = 4                          // the pid in the clear of a master-key frame, u32le
	nonceBytes  = chacha20poly1305.NonceSize // AEAD nonce: IV prefix and counter
	counterAt   = prefixBytes                // the u32le counter within the AEAD nonce
	sharedNonce = 0                          // shared-key layout: where the AEAD nonce starts
	sharedSeal  = sharedNonce + nonceBytes   // shared-key layout: ciphertext and tag
	masterPID   = 0                          // master-key layout: the pid, also the associated data
	masterNonce = masterPID + pidBytes       // master-key layout: where the AEAD nonce starts
	masterSeal  = masterNonce + nonceBytes   // master-key layout: ciphertext and tag
)

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

// secretKey holds a key, shared or master. Its bytes sit behind a
// pointer and it prints redacted (String, GoString), so that a key reaches
// no printed output: fmt prints a pointer met inside a value as an
// address, whatever the verb, and printers that follow pointers stop at
// the methods. (A Format method would also cover the verbs that skip
// String, such as %d, but it needs package fmt, which this package does
// not import; the pointer covers them instead.)
type secretKey struct{ b *[KeyBytes]byte }

// newSecretKey returns a secretKey holding a copy of key.
func newSecretKey(key []byte) secretKey {
	k := secretKey{new([KeyBytes]byte)}
	copy(k.b[:], key)
	return k
}

// wipe overwrites the key with zeros.
func (k secretKey) wipe() { clear(k.b[:]) }

// String and GoString return a fixed text, never the key.
func (k secretKey) String() string { return "varta.key(redacted)" }

func (k secretKey) GoString() string { return k.String() }
