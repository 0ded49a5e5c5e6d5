//go:build secureudp

package varta

import (
	"bytes"
	"errors"
	"io"
	"os"
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

// checkKey returns an error naming the expected length if key is not a
// key. The message never contains the key's bytes.
func checkKey(what string, key []byte) error {
	if len(key) != KeyBytes {
		return wrap("", ErrKeyLength, "; the "+what+" given is "+strconv.Itoa(len(key))+" bytes")
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

// maxKeyFileBytes bounds what LoadKeyFile reads, so that a wrong path
// (/dev/zero, a log file) fails at once instead of filling memory.
const maxKeyFileBytes = 4096

// LoadKeyFile reads a key from a file holding 64 hexadecimal characters;
// whitespace around them (a trailing newline, say) is ignored. Only built
// with -tags secureudp. The file's bytes are wiped from memory once
// parsed. A missing or unreadable file gives an error that errors.Is
// matches against fs.ErrNotExist or fs.ErrPermission; bad content, or a
// file larger than 4 KiB, one matching ErrKeyText. Errors never contain
// key material.
func LoadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, wrap("varta: read key file: ", err, "")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	defer clear(data)
	if err != nil {
		return nil, wrap("varta: read key file: ", err, "")
	}
	if len(data) > maxKeyFileBytes {
		return nil, wrap("", ErrKeyText, "; key file "+strconv.Quote(path)+" is larger than "+strconv.Itoa(maxKeyFileBytes)+" bytes")
	}
	key, err := parseKeyHex(bytes.TrimSpace(data))
	if err != nil {
		return nil, wrap("", err, " (key file "+strconv.Quote(path)+")")
	}
	return key, nil
}

func parseKeyHex(text []byte) ([]byte, error) {
	if len(text) != 2*KeyBytes {
		return nil, wrap("", ErrKeyText, "; got "+strconv.Itoa(len(text))+" characters")
	}
	for i, c := range text {
		if _, ok := hexDigit(c); !ok {
			return nil, wrap("", ErrKeyText, "; character "+strconv.Itoa(i+1)+" is not a hexadecimal digit")
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

// hexDigit returns the value of the hexadecimal digit c, either case.
func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// AgentKey returns the key an agent with the given pid derives from a
// master key and seals with. Only built with -tags secureudp. The key is
// HKDF-SHA256 of the master key with an empty salt and info
// "varta-agent-v1" 0x00 || u32le(pid) (SPEC R6.3). Observers need it to
// open the terminal frames of master-key agents, which use the 60-byte
// layout: pass the result to OpenSecureFrame.
// The caller owns the returned key and should clear it after use.
func AgentKey(master []byte, pid uint32) ([]byte, error) {
	if err := checkKey("master key", master); err != nil {
		return nil, err
	}
	return agentKey(master, pid)
}
