//go:build secureudp

package varta

// Pins the texts of the key and secure frame errors, and that key parsing
// accepts either case.

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyAndFrameErrorsReadAsBefore pins the whole text of the key and
// secure frame errors and the sentinel or cause each matches.
func TestKeyAndFrameErrorsReadAsBefore(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.key")
	key := make([]byte, KeyBytes)
	connect := func(k []byte, master bool) error {
		var err error
		if master {
			_, err = ConnectSecureUDPWithMaster("127.0.0.1", 9, k)
		} else {
			_, err = ConnectSecureUDP("127.0.0.1", 9, k)
		}
		return err
	}
	parse := func(text string) error {
		_, err := ParseKeyHex(text)
		return err
	}
	load := func(path string) error {
		_, err := LoadKeyFile(path)
		return err
	}
	open := func(wire []byte, master bool) error {
		var err error
		if master {
			_, err = OpenMasterFrame(key, wire)
		} else {
			_, err = OpenSecureFrame(key, wire)
		}
		return err
	}
	checkErrorTexts(t, []errorCase{
		{"short key", connect(key[:31], false), "varta: a secure UDP key is exactly 32 bytes; the key given is 31 bytes", ErrKeyLength},
		{"long master key", connect(make([]byte, 33), true), "varta: a secure UDP key is exactly 32 bytes; the master key given is 33 bytes", ErrKeyLength},
		{"short text", parse("abc"), "varta: a key in text form is exactly 64 hexadecimal characters; got 3 characters", ErrKeyText},
		{"bad digit", parse(strings.Repeat("0", 63) + "g"), "varta: a key in text form is exactly 64 hexadecimal characters; character 64 is not a hexadecimal digit", ErrKeyText},
		{"missing file", load(missing), "varta: read key file \"" + missing + "\": no such file or directory", fs.ErrNotExist},
		{"short file", load(short), `varta: a key in text form is exactly 64 hexadecimal characters; got 4 characters (key file "` + short + `")`, ErrKeyText},
		{"device", load("/dev/zero"), `varta: not a usable key file: "/dev/zero" is a device; write the key to a regular file`, ErrKeyFile},
		{"short frame", open(make([]byte, 59), false), "varta: secure frame has the wrong length: got 59 bytes, want 60", ErrSecureFrameLength},
		{"long master frame", open(make([]byte, 65), true), "varta: secure frame has the wrong length: got 65 bytes, want 64", ErrSecureFrameLength},
	})
}

// TestParseKeyHexDecodesEitherCase checks the decoding of every digit.
func TestParseKeyHexDecodesEitherCase(t *testing.T) {
	for _, text := range []string{
		"00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210",
		"00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210",
	} {
		key, err := ParseKeyHex(text)
		if err != nil {
			t.Fatal(err)
		}
		want := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
			0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
		if string(key) != string(want) {
			t.Errorf("ParseKeyHex(%q) = %x, want %x", text, key, want)
		}
	}
}
