//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// Key derivation: HKDF-SHA256 (RFC 5869) with an empty salt, for the key
// of each agent of a master key (SPEC R6.3) and the IV prefixes of a
// session (R6.2, R7.3), over one HMAC-SHA256 (RFC 2104) written here,
// keyMAC.
//
// Why not crypto/hkdf and crypto/hmac: every buffer that holds key
// material must be one the package can wipe, so that nothing of a master
// key remains once the agent that held it is closed (SECURITY.md, and a
// scan of the process's memory after Close in the tests). crypto/hmac
// keeps its key XORed into pads, and the SHA-256 state under it keeps the
// tail of what it hashed, the master key itself for HKDF-Extract, in a
// block buffer; neither has a way to wipe them. keyMAC's pads, inner digest
// and pseudorandom key are its own fields, wiped after each derivation,
// and it overwrites the SHA-256 block buffer. The IV prefixes need no
// wiping (they travel in the clear), but a second HMAC for them would be
// a second implementation of the same thing: they use keyMAC too. Both
// are checked against crypto/hkdf and the SPEC vectors in the tests.

// HKDF info labels, each with its terminating NUL (SPEC R6.2, R6.3, R7.3).
const (
	agentKeyLabel = "varta-agent-v1\x00"
	ivPrefixLabel = "varta-iv-prefix-v1\x00"
	panicIVLabel  = "varta-panic-iv-v1\x00"
)

// AgentKey returns the key an agent with the given pid derives from a
// master key and seals its beats and terminal frames with. Only built
// with -tags secureudp. The key is HKDF-SHA256 of the master key with an
// empty salt and info "varta-agent-v1" 0x00 || u32le(pid) (SPEC R6.3).
// Observers need not call it: OpenMasterFrame and MasterOpener derive it
// from the pid a frame carries in the clear. The caller owns the returned
// key and should clear it after use.
func AgentKey(master []byte, pid uint32) ([]byte, error) {
	if err := checkKey("master key", master); err != nil {
		return nil, err
	}
	var k [KeyBytes]byte
	defer clear(k[:])
	deriveAgentKey((*[KeyBytes]byte)(master), &k, pid)
	return append(make([]byte, 0, KeyBytes), k[:]...), nil
}

// agentCipher returns a cipher keyed with the key of pid derived from
// master, and wipes the derived key: the cipher keeps its own copy.
func agentCipher(master *[KeyBytes]byte, pid uint32) cipher.AEAD {
	var k [KeyBytes]byte
	defer clear(k[:])
	deriveAgentKey(master, &k, pid)
	return newCipher(&k)
}

// scrubbedAgentCipher is agentCipher for an agent, which keeps its
// master key and may not leave copies of it behind. It grows the stack
// first (reserveStack), so that the stack is not moved, and its old copy
// freed unwiped, while it holds key material; then, after the cipher is
// built, it makes the same calls on a zero key, which run at the same depth
// and so overwrite the temporaries the first ones left below this frame,
// copies of the derived key and of the master key among them, which
// SHA-256 does not wipe and the calls that follow a connect need not reach.
// The stateless OpenMasterFrame, which leaves a cipher per frame anyway,
// does without.
func scrubbedAgentCipher(master *[KeyBytes]byte, pid uint32) cipher.AEAD {
	reserveStack()
	aead := agentCipher(master, pid)
	var zeros [KeyBytes]byte
	agentCipher(&zeros, 0)
	return aead
}

// expandedCipher is agentCipher for a holder of the master key's
// pseudorandom key (masterPRK) instead of the master key: half the
// hashing, which is what a MasterOpener spends on a frame from a pid it
// does not know.
func expandedCipher(prk *[KeyBytes]byte, pid uint32) cipher.AEAD {
	var k [KeyBytes]byte
	defer clear(k[:])
	var m keyMAC
	defer m.wipe()
	m.expandAgentKey(prk, &k, pid)
	return newCipher(&k)
}

// newCipher returns the ChaCha20-Poly1305 cipher of key.
// chacha20poly1305.New refuses only a key of another length than
// KeyBytes, which an array cannot have.
func newCipher(key *[KeyBytes]byte) cipher.AEAD {
	aead, _ := chacha20poly1305.New(key[:])
	return aead
}

// deriveAgentKey sets out to the key of the agent with the given pid:
// HKDF-SHA256(ikm = master, salt = empty, info = "varta-agent-v1" 0x00 ||
// u32le(pid), 32 bytes) (R6.3). A 32-byte key is one block of
// HKDF-Expand, so this is HKDF-Extract, PRK = HMAC(empty, master), then
// HMAC(PRK, info || 0x01). Every buffer that held key material is wiped
// before it returns: the HMAC pads, the pseudorandom key, the inner digest
// and what the SHA-256 state buffered. Only the temporaries SHA-256 keeps
// on the stack remain, until the stack is reused (scrubbedAgentCipher overwrites
// them at once).
func deriveAgentKey(master, out *[KeyBytes]byte, pid uint32) {
	var m keyMAC
	defer m.wipe()
	var prk [sha256.Size]byte
	defer clear(prk[:])
	m.sum(nil, master[:], prk[:])
	m.expandAgentKey(&prk, out, pid)
}

// reserveStack makes the goroutine's stack large enough for a key
// derivation and a cipher's construction below its caller's frame, before
// any key is on it. A stack too small grows by moving to a new one, and
// the old one, copies of keys in its dead frames included, is freed
// without being wiped; the derivation that follows cannot be overwritten
// there. Its frame is 16 KiB, ample for SHA-256 and ChaCha20-Poly1305; a
// stack shrinks only during a garbage collection.
//
//go:noinline
func reserveStack() {
	var room [16 << 10]byte
	touchStack(room[:])
}

// touchStack keeps reserveStack's frame from being optimized away.
//
//go:noinline
func touchStack(b []byte) { b[0] = 0 }

// masterPRK sets prk to HKDF-Extract(salt = empty, ikm = master), the
// pseudorandom key from which the key of every pid is expanded, and wipes
// what it hashed with.
func masterPRK(master, prk *[KeyBytes]byte) {
	var m keyMAC
	defer m.wipe()
	m.sum(nil, master[:], prk[:])
}

// expandAgentKey sets out to HKDF-Expand(prk, "varta-agent-v1" 0x00 ||
// u32le(pid), 32 bytes): one block, HMAC(PRK, info || 0x01).
func (m *keyMAC) expandAgentKey(prk *[sha256.Size]byte, out *[KeyBytes]byte, pid uint32) {
	var info [len(agentKeyLabel) + 4 + 1]byte
	copy(info[:], agentKeyLabel)
	binary.LittleEndian.PutUint32(info[len(agentKeyLabel):], pid)
	info[len(info)-1] = 1 // the block counter of HKDF-Expand
	m.sum(prk[:], info[:], out[:])
}

// keyMAC computes HMAC-SHA256 (RFC 2104) for keys of at most one block,
// in buffers it can wipe.
type keyMAC struct {
	h     hash.Hash
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
}

// sum writes HMAC-SHA256(key, msg) to out, which is sha256.Size long. It
// allocates only the first time, for the SHA-256 state.
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

// ivDeriver computes the IV prefixes of one session salt without
// allocating. Every prefix is HKDF-SHA256(ikm = salt, salt = empty, info,
// 8 bytes): the first 8 bytes of HMAC-SHA256(PRK, info || 0x01), the
// first block of HKDF-Expand, where PRK = HKDF-Extract(empty, salt)
// depends only on the salt and is computed once per session.
type ivDeriver struct {
	mac  keyMAC
	prk  [sha256.Size]byte
	info [len(panicIVLabel) + 4 + 8 + 4 + 1]byte // the longest info, and the 0x01 block number
	sum  [sha256.Size]byte
}

// newIVDeriver returns the deriver of the IV prefixes of salt.
func newIVDeriver(salt []byte) *ivDeriver {
	d := new(ivDeriver)
	d.mac.sum(nil, salt, d.prk[:])
	return d
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
	d.mac.sum(d.prk[:], d.info[:n+1], d.sum[:])
	copy(prefix[:], d.sum[:])
	return prefix
}
