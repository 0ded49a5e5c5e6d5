//go:build unix && secureudp

package varta

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"

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

// HKDF info labels, each with its terminating NUL (SPEC R6.2, R6.3, R7.3).
const (
	agentKeyLabel = "varta-agent-v1\x00"
	ivPrefixLabel = "varta-iv-prefix-v1\x00"
	panicIVLabel  = "varta-panic-iv-v1\x00"
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

// newSession starts a session with a fresh salt from crypto/rand.
func newSession() (*session, error) {
	var salt [saltBytes]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, &textError{msg: "varta: drawing a session salt: " + err.Error(), err: err}
	}
	s, err := sessionFromSalt(salt[:])
	clear(salt[:])
	return s, err
}

// sessionFromSalt starts a session whose IV prefixes derive from salt.
func sessionFromSalt(salt []byte) (*session, error) {
	iv, err := newIVDeriver(salt)
	if err != nil {
		return nil, err
	}
	return &session{iv: iv, prefix: iv.ivPrefix(0)}, nil
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

// deriveAgentKey sets out to the key of the agent with the given pid:
// HKDF-SHA256(ikm = master, salt = empty, info = "varta-agent-v1" 0x00 ||
// u32le(pid), 32 bytes) (R6.3). A 32-byte key is one block of
// HKDF-Expand, so this is HKDF-Extract, PRK = HMAC(empty, master), then
// HMAC(PRK, info || 0x01). It computes them itself, so that every buffer
// holding key material is its own and is wiped before it returns: the
// HMAC pads, the pseudorandom key, the inner digest and what the SHA-256
// state buffered. Only the temporaries SHA-256 keeps on the stack remain,
// until the stack is reused.
func deriveAgentKey(master, out *[KeyBytes]byte, pid uint32) {
	var info [len(agentKeyLabel) + 4 + 1]byte
	copy(info[:], agentKeyLabel)
	binary.LittleEndian.PutUint32(info[len(agentKeyLabel):], pid)
	info[len(info)-1] = 1 // the block counter of HKDF-Expand

	var m keyMAC
	defer m.wipe()
	var prk [KeyBytes]byte
	defer clear(prk[:])
	m.sum(nil, master[:], prk[:])
	m.sum(prk[:], info[:], out[:])
}

// keyMAC computes HMAC-SHA256 (RFC 2104) for keys of at most one block,
// in buffers it wipes.
type keyMAC struct {
	h     hash.Hash
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
}

// sum writes HMAC-SHA256(key, msg) to out, which is sha256.Size long.
func (m *keyMAC) sum(key, msg, out []byte) {
	if m.h == nil {
		m.h = sha256.New()
	}
	m.keyedPad(key, 0x36)
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(msg)
	m.h.Sum(m.inner[:0])
	m.keyedPad(key, 0x5c)
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(m.inner[:])
	m.h.Sum(out[:0])
}

// keyedPad sets pad to key, zero-padded to a block, XOR b.
func (m *keyMAC) keyedPad(key []byte, b byte) {
	for i := range m.pad {
		m.pad[i] = b
	}
	for i, k := range key {
		m.pad[i] ^= k
	}
}

// wipe clears the pad and the inner digest, and overwrites with zeros
// the partial block SHA-256 buffers, which holds the tail of the last
// message hashed (for HKDF-Extract, the master key itself).
func (m *keyMAC) wipe() {
	clear(m.pad[:])
	clear(m.inner[:])
	if m.h != nil {
		m.h.Reset()
		m.h.Write(m.pad[:sha256.BlockSize-1])
		m.h.Reset()
	}
}

// ivDeriver computes IV prefixes of one session salt without allocating.
// Every prefix is HKDF-SHA256(ikm = salt, salt = empty, info, 8 bytes); its
// 8 bytes come from the first block of HKDF-Expand, HMAC-SHA256(PRK,
// info || 0x01), and PRK = HKDF-Extract(empty, salt) depends only on the
// salt, so the HMAC keyed with PRK is built once per session and reused.
type ivDeriver struct {
	mac  hash.Hash
	info [len(panicIVLabel) + 4 + 8 + 4 + 1]byte // the longest info, and the 0x01 block number
	sum  [sha256.Size]byte
}

func newIVDeriver(salt []byte) (*ivDeriver, error) {
	prk, err := hkdf.Extract(sha256.New, salt, nil)
	if err != nil {
		return nil, &textError{msg: "varta: deriving the session key schedule: " + err.Error(), err: err}
	}
	d := &ivDeriver{mac: hmac.New(sha256.New, prk)}
	clear(prk)
	// The first Reset saves the HMAC's keyed state (and allocates for
	// it); later Resets restore it without allocating.
	d.mac.Reset()
	return d, nil
}

// ivPrefix returns the IV prefix of the given index (R6.2).
func (d *ivDeriver) ivPrefix(index uint32) [prefixBytes]byte {
	n := copy(d.info[:], ivPrefixLabel)
	binary.LittleEndian.PutUint32(d.info[n:], index)
	return d.expand(n + 4)
}

// panicPrefix returns the IV prefix of a terminal frame (R7.3).
func (d *ivDeriver) panicPrefix(pid uint32, ts uint64, counter uint32) [prefixBytes]byte {
	n := copy(d.info[:], panicIVLabel)
	binary.LittleEndian.PutUint32(d.info[n:], pid)
	binary.LittleEndian.PutUint64(d.info[n+4:], ts)
	binary.LittleEndian.PutUint32(d.info[n+12:], counter)
	return d.expand(n + 16)
}

// expand returns the first 8 bytes of HKDF-Expand(PRK, info[:n]).
func (d *ivDeriver) expand(n int) (prefix [prefixBytes]byte) {
	d.info[n] = 1
	d.mac.Reset()
	d.mac.Write(d.info[:n+1])
	copy(prefix[:], d.mac.Sum(d.sum[:0]))
	return prefix
}
