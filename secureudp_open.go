//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"strconv"
)

// Errors of OpenSecureFrame, OpenMasterFrame and the openers, matched
// with errors.Is. Only built with -tags secureudp. A frame that
// authenticates but breaks a rule of SPEC R1.3 gives the decoding error
// instead (ErrBadCRC, ErrBadPID, ...).
var (
	ErrSecureFrameLength = errors.New("varta: secure frame has the wrong length")
	ErrAuthentication    = errors.New("varta: secure frame does not authenticate: wrong key, or altered in transit")
	ErrPIDMismatch       = errors.New("varta: pid in the clear prefix differs from the pid inside the frame")
	// ErrReplay: SecureOpener.Open or MasterOpener.Open refused a frame
	// that authenticates but was accepted before, or cannot be newer than
	// one accepted before (see "Replays" in the package documentation).
	// The refused frame changes nothing in the opener.
	ErrReplay = errors.New("varta: secure frame refused as a replay")
)

// OpenSecureFrame authenticates and decrypts a 60-byte shared-key frame
// (SPEC R6.3) with key and decodes the VLP frame inside. Only built with
// -tags secureudp. It is the observer's side of [ConnectSecureUDP]: it opens
// the beats and terminal frames of a shared-key agent. Errors match
// [ErrKeyLength], [ErrSecureFrameLength], [ErrAuthentication], or a decoding
// error of [DecodeFrame]. It never panics, whatever wire holds. It
// remembers nothing, so it cannot tell a replayed frame from a fresh one:
// an observer keeps a [SecureOpener], which refuses replays, instead.
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
// holds. It remembers nothing, so it cannot tell a replayed frame from a
// fresh one, and derives a key for every frame: an observer keeps a
// [MasterOpener], which refuses replays and caches keys, instead.
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
