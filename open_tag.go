//go:build secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"strconv"

	"golang.org/x/crypto/chacha20poly1305"
)

// Errors of OpenSecureFrame and OpenMasterFrame, matched with errors.Is.
// Only built with -tags secureudp. A frame that authenticates but breaks a
// rule of SPEC R1.3 gives the decoding error instead (ErrBadCRC,
// ErrBadPID, ...).
var (
	ErrSecureFrameLength = errors.New("varta: secure frame has the wrong length")
	ErrAuthentication    = errors.New("varta: secure frame does not authenticate: wrong key, or altered in transit")
	ErrPIDMismatch       = errors.New("varta: pid in the clear prefix differs from the pid inside the frame")
)

// OpenSecureFrame authenticates and decrypts a 60-byte shared-key frame
// (SPEC R6.3) with key and decodes the VLP frame inside. Only built with
// -tags secureudp. It is the observer's side of ConnectSecureUDP, and opens
// the terminal frames of any secure agent: with the shared key, or with
// AgentKey(master, pid) for a master-key agent. Errors match ErrKeyLength,
// ErrSecureFrameLength, ErrAuthentication, or a decoding error of
// DecodeFrame. It never panics, whatever wire holds.
func OpenSecureFrame(key, wire []byte) (Frame, error) {
	if err := checkKey("key", key); err != nil {
		return Frame{}, err
	}
	if len(wire) != SecureFrameBytes {
		return Frame{}, wrap("", ErrSecureFrameLength, ": got "+strconv.Itoa(len(wire))+" bytes, want "+strconv.Itoa(SecureFrameBytes))
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return Frame{}, err
	}
	return open(aead, wire[:chacha20poly1305.NonceSize], wire[chacha20poly1305.NonceSize:], nil)
}

// OpenMasterFrame authenticates and decrypts a 64-byte master-key frame
// (SPEC R6.3): it derives the sender's key from master and the pid in the
// clear prefix, opens the frame with that pid as associated data, and
// decodes the VLP frame inside. Only built with -tags secureudp. It is the
// observer's side of ConnectSecureUDPWithMaster. Errors match ErrKeyLength,
// ErrSecureFrameLength, ErrAuthentication, a decoding error of
// DecodeFrame, or ErrPIDMismatch when the frame inside names another pid
// than the prefix. It never panics, whatever wire holds.
func OpenMasterFrame(master, wire []byte) (Frame, error) {
	if err := checkKey("master key", master); err != nil {
		return Frame{}, err
	}
	if len(wire) != MasterFrameBytes {
		return Frame{}, wrap("", ErrSecureFrameLength, ": got "+strconv.Itoa(len(wire))+" bytes, want "+strconv.Itoa(MasterFrameBytes))
	}
	pid := binary.LittleEndian.Uint32(wire)
	key, err := agentKey(master, pid)
	if err != nil {
		return Frame{}, err
	}
	defer clear(key)
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return Frame{}, err
	}
	f, err := open(aead, wire[4:4+chacha20poly1305.NonceSize], wire[4+chacha20poly1305.NonceSize:], wire[:4])
	if err != nil {
		return Frame{}, err
	}
	if f.PID != pid {
		return Frame{}, wrap("", ErrPIDMismatch, ": prefix says "+strconv.FormatUint(uint64(pid), 10)+", frame says "+strconv.FormatUint(uint64(f.PID), 10))
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
