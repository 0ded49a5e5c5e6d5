//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
)

// Errors of OpenSecureFrame, OpenMasterFrame and MasterOpener, matched
// with errors.Is. Only built with -tags secureudp. A frame that
// authenticates but breaks a rule of SPEC R1.3 gives the decoding error
// instead (ErrBadCRC, ErrBadPID, ...).
var (
	ErrSecureFrameLength = errors.New("varta: secure frame has the wrong length")
	ErrAuthentication    = errors.New("varta: secure frame does not authenticate: wrong key, or altered in transit")
	ErrPIDMismatch       = errors.New("varta: pid in the clear prefix differs from the pid inside the frame")
)

// OpenSecureFrame authenticates and decrypts a 60-byte shared-key frame
// (SPEC R6.3) with key and decodes the VLP frame inside. Only built with
// -tags secureudp. It is the observer's side of [ConnectSecureUDP]: it opens
// the beats and terminal frames of a shared-key agent. Errors match
// [ErrKeyLength], [ErrSecureFrameLength], [ErrAuthentication], or a decoding
// error of [DecodeFrame]. It never panics, whatever wire holds, and cannot
// tell a replayed frame from a fresh one.
func OpenSecureFrame(key, wire []byte) (Frame, error) {
	if err := checkKey("key", key); err != nil {
		return Frame{}, err
	}
	if len(wire) != SecureFrameBytes {
		return Frame{}, lengthError(len(wire), SecureFrameBytes)
	}
	return open(newCipher((*[KeyBytes]byte)(key)), wire[sharedNonce:sharedSeal], wire[sharedSeal:], nil)
}

// OpenMasterFrame authenticates and decrypts a 64-byte master-key frame
// (SPEC R6.3), the observer's side of [ConnectSecureUDPWithMaster]: it
// derives the sender's key from master and the pid in the clear, and opens
// and decodes the frame. Only built with -tags secureudp. Errors match
// [ErrKeyLength], [ErrSecureFrameLength], [ErrAuthentication], a decoding
// error of [DecodeFrame], or [ErrPIDMismatch]. It never panics, whatever wire
// holds, and cannot tell a replayed frame from a fresh one. An observer that
// opens many frames keeps a [MasterOpener] instead.
func OpenMasterFrame(master, wire []byte) (Frame, error) {
	if err := checkKey("master key", master); err != nil {
		return Frame{}, err
	}
	if len(wire) != MasterFrameBytes {
		return Frame{}, lengthError(len(wire), MasterFrameBytes)
	}
	return openMasterLayout(agentCipher((*[KeyBytes]byte)(master), binary.LittleEndian.Uint32(wire[masterPID:])), wire)
}

// openMasterLayout opens a frame of the master-key layout with the cipher of the
// pid it carries in the clear, and checks that the frame inside names the
// same pid.
func openMasterLayout(aead cipher.AEAD, wire []byte) (Frame, error) {
	f, err := open(aead, wire[masterNonce:masterSeal], wire[masterSeal:], wire[masterPID:masterNonce])
	if err != nil {
		return Frame{}, err
	}
	if pid := binary.LittleEndian.Uint32(wire[masterPID:]); f.PID != pid {
		return Frame{}, &textError{msg: ErrPIDMismatch.Error() + ": prefix says " + strconv.FormatUint(uint64(pid), 10) +
			", frame says " + strconv.FormatUint(uint64(f.PID), 10), err: ErrPIDMismatch}
	}
	return f, nil
}

// open authenticates and decrypts sealed and decodes the frame inside.
func open(aead cipher.AEAD, nonce, sealed, aad []byte) (Frame, error) {
	var plain [FrameBytes]byte
	if _, err := aead.Open(plain[:0], nonce, sealed, aad); err != nil {
		return Frame{}, ErrAuthentication
	}
	return DecodeFrame(plain[:])
}

func lengthError(got, want int) error {
	return &textError{msg: ErrSecureFrameLength.Error() + ": got " + strconv.Itoa(got) + " bytes, want " + strconv.Itoa(want), err: ErrSecureFrameLength}
}

// openerCacheSize is how many pids' ciphers a MasterOpener keeps.
const openerCacheSize = 64

// MasterOpener opens the 64-byte frames of master-key agents as
// [OpenMasterFrame] does, but keeps the ciphers of the 64 pids whose frames
// authenticated most recently, so that a frame from a known pid costs no
// key derivation. Only built with -tags secureudp. It is safe for concurrent
// use, and prints redacted under fmt. Make one with [NewMasterOpener]; the
// zero value holds no key and opens nothing.
type MasterOpener struct {
	mu      sync.Mutex
	master  secretKey // holds nothing once closed
	ciphers [openerCacheSize]pidCipher
	clock   uint64 // stamps the entries by last use
}

// pidCipher is a cached cipher: the key derived for pid.
type pidCipher struct {
	pid  uint32
	aead cipher.AEAD // nil for an empty entry
	used uint64
}

// NewMasterOpener returns an opener holding its own copy of master, which
// Close wipes; the caller may wipe master once it returns. Only built
// with -tags secureudp. A master key that is not KeyBytes long gives an
// error matching ErrKeyLength.
func NewMasterOpener(master []byte) (*MasterOpener, error) {
	if err := checkKey("master key", master); err != nil {
		return nil, err
	}
	return &MasterOpener{master: newSecretKey(master)}, nil
}

// errOpenerClosed is the error of Open on a closed MasterOpener.
var errOpenerClosed = &textError{msg: "varta: MasterOpener is closed: make a new one with NewMasterOpener", err: ErrClosed}

// Open authenticates and decrypts a 64-byte master-key frame and decodes
// the VLP frame inside, as OpenMasterFrame(master, wire) does, with the
// same errors; on a closed or nil opener it returns an error matching
// ErrClosed. It never panics, whatever wire holds.
func (o *MasterOpener) Open(wire []byte) (Frame, error) {
	if o == nil {
		return Frame{}, errOpenerClosed
	}
	if len(wire) != MasterFrameBytes {
		return Frame{}, lengthError(len(wire), MasterFrameBytes)
	}
	pid := binary.LittleEndian.Uint32(wire[masterPID:])
	aead, cached, err := o.cipher(pid)
	if err != nil {
		return Frame{}, err
	}
	f, err := openMasterLayout(aead, wire)
	if err == nil && !cached {
		o.remember(pid, aead)
	}
	return f, err
}

// cipher returns the cipher of pid: the cached one, or a new one.
func (o *MasterOpener) cipher(pid uint32) (aead cipher.AEAD, cached bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.master.b == nil {
		return nil, false, errOpenerClosed
	}
	o.clock++
	for i := range o.ciphers {
		if e := &o.ciphers[i]; e.aead != nil && e.pid == pid {
			e.used = o.clock
			return e.aead, true, nil
		}
	}
	return agentCipher(o.master.b, pid), false, nil
}

// remember caches the cipher of pid in place of the least recently used
// one, unless another caller has cached it meanwhile or the opener was
// closed.
func (o *MasterOpener) remember(pid uint32, aead cipher.AEAD) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.master.b == nil {
		return
	}
	victim := &o.ciphers[0]
	for i := range o.ciphers {
		e := &o.ciphers[i]
		if e.aead != nil && e.pid == pid {
			return
		}
		if e.used < victim.used {
			victim = e
		}
	}
	o.clock++
	*victim = pidCipher{pid: pid, aead: aead, used: o.clock}
}

// Close wipes the opener's copy of the master key and drops its ciphers
// (each keeps a copy of a derived key that no API reaches; see
// SECURITY.md). Open fails after Close; a second Close returns ErrClosed.
func (o *MasterOpener) Close() error {
	if o == nil {
		return errOpenerClosed
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.master.b == nil {
		return errOpenerClosed
	}
	o.master.wipe()
	o.master = secretKey{}
	o.ciphers = [openerCacheSize]pidCipher{}
	return nil
}

// String returns a fixed text that names the type, never a key.
func (o *MasterOpener) String() string { return "varta.MasterOpener(redacted)" }

// GoString returns the same text as String, for the %#v verb.
func (o *MasterOpener) GoString() string { return o.String() }
