//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"
	"sync"
)

// The stateful openers of the observer side: SecureOpener for a shared
// key, MasterOpener for a master key. Each opens frames as the stateless
// functions of secureudp_open.go do, and refuses replays with the memory
// of secureudp_replay.go. Both take their lock only to look up and to
// record, never while deriving a key or opening a frame.

// SecureOpener opens the 60-byte frames of shared-key agents as
// [OpenSecureFrame] does, and refuses replays with [ErrReplay]. Only built
// with -tags secureudp. It holds one cipher for its life and no other copy
// of the key, is safe for concurrent use, and prints redacted under fmt.
// What it remembers, and what it costs, is told in "Replays" in the
// package documentation. Make one with [NewSecureOpener]; the zero value
// holds no key and opens nothing.
type SecureOpener struct {
	mu   sync.Mutex
	aead cipher.AEAD // nil once closed
	seen replayMemory
}

// NewSecureOpener returns an opener of frames sealed under the shared key
// key. Only built with -tags secureudp. Its cipher holds the one copy of
// the key it keeps; the caller may wipe key once it returns. A key that is
// not KeyBytes long gives an error matching ErrKeyLength.
func NewSecureOpener(key []byte) (*SecureOpener, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	return &SecureOpener{aead: newCipher((*[KeyBytes]byte)(key))}, nil
}

// errSecureOpenerClosed is the error of a closed or nil SecureOpener.
var errSecureOpenerClosed = &textError{msg: "varta: SecureOpener is closed: make a new one with NewSecureOpener", err: ErrClosed}

// Open authenticates and decrypts a 60-byte shared-key frame and decodes
// the VLP frame inside, as OpenSecureFrame does, with the same errors. A
// replay gives an error matching ErrReplay: a frame it accepted before, one
// that arrives after a later frame of its session, or nonce 1 under a
// prefix already seen (see "Replays" in the package documentation). A
// closed or nil opener gives one matching ErrClosed. It never panics,
// whatever wire holds.
func (o *SecureOpener) Open(wire []byte) (Frame, error) {
	if o == nil {
		return Frame{}, errSecureOpenerClosed
	}
	if len(wire) != SecureFrameBytes {
		return Frame{}, lengthError(len(wire), SecureFrameBytes)
	}
	aead := o.cipher()
	if aead == nil {
		return Frame{}, errSecureOpenerClosed
	}
	nonce := wire[sharedNonce:sharedSeal]
	f, err := open(aead, nonce, wire[sharedSeal:], nil)
	if err != nil {
		return Frame{}, err
	}
	if err := o.record(nonce, f); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// cipher returns the opener's cipher, nil once closed.
func (o *SecureOpener) cipher() cipher.AEAD {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.aead
}

// record accepts f, opened under nonce, unless it is a replay or the
// opener was closed meanwhile.
func (o *SecureOpener) record(nonce []byte, f Frame) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.aead == nil {
		return errSecureOpenerClosed
	}
	return o.seen.accept(nonce, f, nil)
}

// Close drops the opener's cipher (whose copy of the key x/crypto keeps
// and no API wipes; see SECURITY.md) and what it remembers. Open fails
// after Close; a second Close returns an error matching ErrClosed.
func (o *SecureOpener) Close() error {
	if o == nil {
		return errSecureOpenerClosed
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.aead == nil {
		return errSecureOpenerClosed
	}
	o.aead = nil
	o.seen.forget()
	return nil
}

// String returns a fixed text that names the type, never a key.
func (o *SecureOpener) String() string { return "varta.SecureOpener(redacted)" }

// GoString returns the same text as String, for the %#v verb.
func (o *SecureOpener) GoString() string { return o.String() }

// MasterOpener opens the 64-byte frames of master-key agents as
// [OpenMasterFrame] does, and refuses replays with [ErrReplay]. Only built
// with -tags secureudp. It keeps the cipher of each pid it remembers, so a
// frame from a known pid costs no key derivation, and a pid enters its
// memory only once one of its frames authenticated, so forged frames push
// nobody out. It is safe for concurrent use, and prints redacted under
// fmt. What it remembers, and what a forged frame costs it, is told in
// "Replays" in the package documentation. Make one with [NewMasterOpener];
// the zero value holds no key and opens nothing.
type MasterOpener struct {
	mu sync.Mutex
	// prk is HKDF-Extract of the master key, from which the key of every
	// pid is expanded; it holds nothing once closed.
	prk  secretKey
	seen replayMemory // with the cipher of each pid
}

// NewMasterOpener returns an opener of frames sealed under keys derived
// from master. Only built with -tags secureudp. It keeps the master key
// only in the form the derivation starts from (HKDF-Extract's
// pseudorandom key), which Close wipes; the caller may wipe master once it
// returns. A master key that is not KeyBytes long gives an error matching
// ErrKeyLength.
func NewMasterOpener(master []byte) (*MasterOpener, error) {
	if err := checkKey("master key", master); err != nil {
		return nil, err
	}
	reserveStack()
	var prk [KeyBytes]byte
	defer clear(prk[:])
	masterPRK((*[KeyBytes]byte)(master), &prk)
	o := &MasterOpener{prk: newSecretKey(prk[:])}
	// The same calls at the same depth overwrite the temporaries SHA-256
	// left on the stack, a copy of the master key among them
	// (scrubbedAgentCipher).
	var zeros [KeyBytes]byte
	masterPRK(&zeros, &prk)
	return o, nil
}

// errMasterOpenerClosed is the error of a closed or nil MasterOpener.
var errMasterOpenerClosed = &textError{msg: "varta: MasterOpener is closed: make a new one with NewMasterOpener", err: ErrClosed}

// Open authenticates and decrypts a 64-byte master-key frame and decodes
// the VLP frame inside, as OpenMasterFrame(master, wire) does, with the
// same errors. A replay gives an error matching ErrReplay: a frame it
// accepted before, one that arrives after a later frame of its session, or
// nonce 1 under a prefix already seen (see "Replays" in the package
// documentation). A closed or nil opener gives one matching ErrClosed. It
// never panics, whatever wire holds.
func (o *MasterOpener) Open(wire []byte) (Frame, error) {
	if o == nil {
		return Frame{}, errMasterOpenerClosed
	}
	if len(wire) != MasterFrameBytes {
		return Frame{}, lengthError(len(wire), MasterFrameBytes)
	}
	pid := binary.LittleEndian.Uint32(wire[masterPID:])
	var prk [KeyBytes]byte
	aead, err := o.cipherOf(pid, &prk)
	if err != nil {
		return Frame{}, err
	}
	if aead == nil {
		// A pid it does not remember: derive outside the lock, so that
		// a flood of frames from unknown pids delays no other frame.
		aead = expandedCipher(&prk, pid)
		clear(prk[:])
	}
	f, err := openMasterLayout(aead, wire)
	if err != nil {
		return Frame{}, err
	}
	if err := o.record(wire[masterNonce:masterSeal], f, aead); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// cipherOf returns the cipher of pid if the opener remembers pid;
// otherwise it copies the pseudorandom key into prk, for the caller to
// derive pid's key from outside the lock and then wipe.
func (o *MasterOpener) cipherOf(pid uint32, prk *[KeyBytes]byte) (cipher.AEAD, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prk.b == nil {
		return nil, errMasterOpenerClosed
	}
	if aead := o.seen.cipherOf(pid); aead != nil {
		return aead, nil
	}
	*prk = *o.prk.b
	return nil, nil
}

// record accepts f, opened under nonce with aead, unless it is a replay
// or the opener was closed meanwhile.
func (o *MasterOpener) record(nonce []byte, f Frame, aead cipher.AEAD) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prk.b == nil {
		return errMasterOpenerClosed
	}
	return o.seen.accept(nonce, f, aead)
}

// Close wipes the opener's form of the master key and drops its ciphers
// and what it remembers (each cipher keeps a copy of a derived key that
// no API reaches; see SECURITY.md). Open fails after Close; a second
// Close returns an error matching ErrClosed.
func (o *MasterOpener) Close() error {
	if o == nil {
		return errMasterOpenerClosed
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prk.b == nil {
		return errMasterOpenerClosed
	}
	o.prk.wipe()
	o.prk = secretKey{}
	o.seen.forget()
	return nil
}

// String returns a fixed text that names the type, never a key.
func (o *MasterOpener) String() string { return "varta.MasterOpener(redacted)" }

// GoString returns the same text as String, for the %#v verb.
func (o *MasterOpener) GoString() string { return o.String() }
