//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

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
func agentCipher(master *[KeyBytes]byte, pid uint32) (cipher.AEAD, error) {
	var k [KeyBytes]byte
	defer clear(k[:])
	deriveAgentKey(master, &k, pid)
	return chacha20poly1305.New(k[:])
}

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
