//go:build unix && secureudp

package varta

import (
	"errors"
	"strconv"
)

// KeyBytes is the length of a secure UDP key, shared or master: 32 bytes.
// Only built with -tags secureudp.
const KeyBytes = 32

// ErrKeyLength is matched (errors.Is) by the error of any function given a
// key that is not KeyBytes long. Only built with -tags secureudp.
var ErrKeyLength = errors.New("varta: a secure UDP key is exactly 32 bytes")

// ErrKeyText is matched (errors.Is) by the error ParseKeyHex and
// LoadKeyFile return for text that is not 64 hexadecimal characters. Only
// built with -tags secureudp.
var ErrKeyText = errors.New("varta: a key in text form is exactly 64 hexadecimal characters")

// ErrKeyFile is matched (errors.Is) by the error LoadKeyFile returns for a
// path that it refuses to read a key from: one that names no regular file
// (a directory, a named pipe, a device), or a file that someone other than
// its owner could have written or may read (see "Key files" in the package
// documentation). Only built with -tags secureudp.
var ErrKeyFile = errors.New("varta: not a usable key file")

// checkKey returns an error naming the expected length if key is not a
// key. The message never contains the key's bytes.
func checkKey(what string, key []byte) error {
	if len(key) != KeyBytes {
		return &textError{msg: ErrKeyLength.Error() + "; the " + what + " given is " + strconv.Itoa(len(key)) + " bytes", err: ErrKeyLength}
	}
	return nil
}

// ParseKeyHex decodes a key written as 64 hexadecimal characters (either
// case, no prefix, no surrounding space). Only built with -tags secureudp.
// Errors match ErrKeyText and say what is wrong by length or position,
// never by content.
func ParseKeyHex(text string) ([]byte, error) {
	b := []byte(text)
	defer clear(b)
	return parseKeyHex(b)
}

func parseKeyHex(text []byte) ([]byte, error) {
	if len(text) != 2*KeyBytes {
		return nil, &textError{msg: ErrKeyText.Error() + "; got " + strconv.Itoa(len(text)) + " characters", err: ErrKeyText}
	}
	for i, c := range text {
		if _, ok := hexDigit(c); !ok {
			return nil, &textError{msg: ErrKeyText.Error() + "; character " + strconv.Itoa(i+1) + " is not a hexadecimal digit", err: ErrKeyText}
		}
	}
	// Decoded here rather than with encoding/hex, which would link fmt.
	key := make([]byte, KeyBytes)
	for i := range key {
		hi, _ := hexDigit(text[2*i]) // every character was checked above
		lo, _ := hexDigit(text[2*i+1])
		key[i] = hi<<4 | lo
	}
	return key, nil
}

// secretKey holds a key, shared or master. Its bytes sit behind a
// pointer and it prints redacted (String, GoString), so that a key reaches
// no printed output: fmt prints a pointer met inside a value as an
// address, whatever the verb, and printers that follow pointers stop at
// the methods. (A Format method would also cover the verbs that skip
// String, such as %d, but it needs package fmt, which this package does
// not import; the pointer covers them instead.) The bytes live in a key
// slot (newKeySlot): on Linux in memory left out of core dumps.
type secretKey struct{ b *[KeyBytes]byte }

// newSecretKey returns a secretKey holding a copy of key.
func newSecretKey(key []byte) secretKey {
	k := secretKey{newKeySlot()}
	copy(k.b[:], key)
	return k
}

// wipe overwrites the key with zeros and gives its slot back, which a key
// made later may take: k holds nothing afterwards (b is nil), and whoever
// shares the key's bytes must stop reading them before wipe, under the
// lock that orders the two. Wiping a secretKey that holds nothing does
// nothing.
func (k *secretKey) wipe() {
	if k.b == nil {
		return
	}
	clear(k.b[:])
	releaseKeySlot(k.b)
	k.b = nil
}

// String and GoString return a fixed text, never the key.
func (k secretKey) String() string { return "varta.key(redacted)" }

func (k secretKey) GoString() string { return k.String() }
