//go:build secureudp

package varta

import (
	"crypto/cipher"
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
	// SecureFrameBytes is the length of a shared-key frame: IV prefix (8),
	// counter (4), ciphertext (32), tag (16). Terminal frames use this
	// layout in both key modes (R7.3).
	SecureFrameBytes = prefixBytes + 4 + FrameBytes + chacha20poly1305.Overhead
	// MasterFrameBytes is the length of a master-key frame: the sender's pid
	// (4) in the clear, then the shared-key layout.
	MasterFrameBytes = 4 + SecureFrameBytes
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
// from which the IV prefixes are derived, and the AEAD sealing under the
// session's key. A session is replaced, never reset, so no nonce it used
// can be used again with a fresh counter.
type session struct {
	aead cipher.AEAD
	pid  uint32 // pid whose key the AEAD holds in master-key mode
	iv   *ivDeriver

	// The next (index, counter) pair to seal with, and the IV prefix of
	// index. index is lastIndex+1 once the session is spent.
	prefix  [prefixBytes]byte
	index   uint64
	counter uint64

	terminal uint64 // next terminal counter; lastTerminalCounter+1 when spent
}

// newSession starts a session for frames of pid, drawing a fresh salt.
// key is the shared key, or the master key when master is set, in which
// case the session seals with the key derived for pid.
func newSession(key *[KeyBytes]byte, master bool, pid uint32) (*session, error) {
	var salt [saltBytes]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, wrap("varta: drawing a session salt: ", err, "")
	}
	iv, err := newIVDeriver(salt[:])
	clear(salt[:])
	if err != nil {
		return nil, err
	}
	aead, err := newSessionAEAD(key, master, pid)
	if err != nil {
		return nil, err
	}
	return &session{aead: aead, pid: pid, iv: iv, prefix: iv.ivPrefix(0)}, nil
}

// newSessionAEAD returns the cipher for a session's frames of pid.
func newSessionAEAD(key *[KeyBytes]byte, master bool, pid uint32) (cipher.AEAD, error) {
	if !master {
		return chacha20poly1305.New(key[:])
	}
	agent, err := agentKey(key[:], pid)
	if err != nil {
		return nil, err
	}
	defer clear(agent)
	return chacha20poly1305.New(agent)
}

// agentKey derives the key of the agent with the given pid from a master
// key: HKDF-SHA256(ikm = master, salt = empty, info = "varta-agent-v1" 0x00
// || u32le(pid), 32 bytes) (R6.3).
func agentKey(master []byte, pid uint32) ([]byte, error) {
	var info [len(agentKeyLabel) + 4]byte
	copy(info[:], agentKeyLabel)
	binary.LittleEndian.PutUint32(info[len(agentKeyLabel):], pid)
	key, err := hkdf.Key(sha256.New, master, nil, string(info[:]), KeyBytes)
	if err != nil {
		return nil, wrap("varta: deriving the agent key: ", err, "")
	}
	return key, nil
}

// spent reports whether every IV prefix of the session has been used.
func (s *session) spent() bool { return s.index > lastIndex }

// advance commits the (index, counter) pair just sent: the next send uses
// the following counter, or the next prefix with counter 0 once the
// counter has reached lastCounter (R6.4).
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
		return nil, wrap("varta: deriving the session key schedule: ", err, "")
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
