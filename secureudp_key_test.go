//go:build secureudp

package varta

// Proves that keys are parsed, loaded and checked strictly, that bad keys
// and key files are refused without echoing their content, and that key
// files others may read are refused.

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseKeyHexAcceptsExactly64HexDigits(t *testing.T) {
	for _, text := range []string{testKeyHex, strings.ToUpper(testKeyHex)} {
		key, err := ParseKeyHex(text)
		if err != nil || hex.EncodeToString(key) != testKeyHex {
			t.Errorf("ParseKeyHex(%q) = %x, %v", text, key, err)
		}
	}
}

// secretLooking is a fragment of the bad inputs below that must never
// appear in an error message.
const secretLooking = "c0ffee15bad5eed"

func TestParseKeyHexRejectsBadTextWithoutEchoingIt(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "got 0 characters"},
		{secretLooking, "got 15 characters"},
		{testKeyHex[:63], "got 63 characters"},
		{testKeyHex + "0", "got 65 characters"},
		{" " + testKeyHex[1:], "character 1 is not a hexadecimal digit"},
		{secretLooking + "g" + testKeyHex[16:], "character 16 is not a hexadecimal digit"},
		{"0x" + testKeyHex[2:], "character 2 is not a hexadecimal digit"},
	} {
		key, err := ParseKeyHex(tc.text)
		if key != nil || !errors.Is(err, ErrKeyText) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeyHex(%q) = %x, %v; want an ErrKeyText saying %q", tc.text, key, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secretLooking) || strings.Contains(err.Error(), testKeyHex[16:]) {
			t.Errorf("error %q contains key text", err)
		}
	}
}

func TestLoadKeyFileTrimsWhitespace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("\n  "+testKeyHex+"\r\n\t"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := LoadKeyFile(path)
	if err != nil || hex.EncodeToString(key) != testKeyHex {
		t.Fatalf("LoadKeyFile = %x, %v", key, err)
	}
}

func TestLoadKeyFileReportsMissingAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want one matching fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte(secretLooking+" "+testKeyHex[16:]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeyFile(bad)
	if !errors.Is(err, ErrKeyText) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad file: error %v, want an ErrKeyText naming the file", err)
	}
	if strings.Contains(err.Error(), secretLooking) {
		t.Fatalf("error %q contains key text", err)
	}

	// A regular file too large to be a key file is refused after 4 KiB,
	// not read to the end.
	large := filepath.Join(dir, "large")
	if err := os.WriteFile(large, bytes.Repeat([]byte{'a'}, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(large); !errors.Is(err, ErrKeyText) || !strings.Contains(err.Error(), "larger than 4096 bytes") {
		t.Errorf("1 MiB file: error %v, want an ErrKeyText saying the file is too large", err)
	}
}

func TestSecureConstructorsRejectBadKeysAndAddresses(t *testing.T) {
	good := bytes.Repeat([]byte{0xAB}, KeyBytes)
	connects := map[string]func(string, int, []byte) (*Varta, error){
		"shared": ConnectSecureUDP,
		"master": ConnectSecureUDPWithMaster,
	}
	for name, connect := range connects {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{0, 31, 33, 64} {
				key := bytes.Repeat([]byte{0xAB}, n)
				v, err := connect("127.0.0.1", 9, key)
				if v != nil || !errors.Is(err, ErrKeyLength) || !strings.Contains(err.Error(), "32 bytes") {
					t.Errorf("%d-byte key: %v, %v; want an ErrKeyLength naming 32 bytes", n, v, err)
				} else if strings.Contains(strings.ToLower(err.Error()), "abab") {
					t.Errorf("error %q contains key bytes", err)
				}
			}
			if _, err := connect("127.0.0.1", 9, nil); !errors.Is(err, ErrKeyLength) {
				t.Errorf("nil key: %v", err)
			}
			for _, port := range []int{0, 65536} {
				if v, err := connect("127.0.0.1", port, good); v != nil || !errors.Is(err, ErrInvalidAddress) {
					t.Errorf("port %d: %v, %v; want ErrInvalidAddress", port, v, err)
				}
			}
			if v, err := connect("observer..invalid", 9, good); v != nil || !errors.Is(err, ErrInvalidAddress) {
				t.Errorf("malformed host: %v, %v; want ErrInvalidAddress", v, err)
			}
			forbidLookups(t) // every query fails, as with an unreachable server
			var dnsErr *net.DNSError
			if v, err := connect("observer.invalid", 9, good); v != nil || !errors.As(err, &dnsErr) || !strings.Contains(err.Error(), `"observer.invalid"`) {
				t.Errorf("unresolvable host: %v, %v; want a *net.DNSError naming the host", v, err)
			}
		})
	}
}

func TestAgentKeyRejectsBadMasterKeys(t *testing.T) {
	for _, n := range []int{0, 31, 33} {
		if key, err := AgentKey(make([]byte, n), 2); key != nil || !errors.Is(err, ErrKeyLength) {
			t.Errorf("%d-byte master key: %x, %v", n, key, err)
		}
	}
}

// TestLoadKeyFileRefusesWhatIsNotARegularFile gives LoadKeyFile a
// directory, a named pipe nobody writes to and a device: each is refused
// at once, without reading, with an error matching ErrKeyFile that says
// what the path is. A pipe must not block (the hang guard fails the test).
func TestLoadKeyFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{dir, "is a directory"},
		{fifo, "is a named pipe"},
		{"/dev/zero", "is a device"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := LoadKeyFile(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("%s: error %v, want an ErrKeyFile naming the path and saying it %s", tc.path, err, tc.want)
			}
			for _, other := range []error{ErrKeyText, fs.ErrNotExist, fs.ErrPermission} {
				if errors.Is(err, other) {
					t.Errorf("%s: error %v also matches %v", tc.path, err, other)
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("hung: LoadKeyFile(%s) has not returned within 10s", tc.path)
		}
	}
}

// TestLoadKeyFileRefusesFilesOthersMayRead checks the mode rule: a key
// file that its group or others may read or write is refused with an
// error matching ErrKeyFile that gives the chmod fixing it, and 0600 and
// 0400 are accepted, as observers require of their key files.
func TestLoadKeyFileRefusesFilesOthersMayRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(testKeyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o600, 0o400, 0o640, 0o604, 0o620, 0o644, 0o660, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		key, err := LoadKeyFile(path)
		if mode&0o077 == 0 {
			if err != nil || hex.EncodeToString(key) != testKeyHex {
				t.Errorf("mode %o: %x, %v; want the key", mode, key, err)
			}
			continue
		}
		if key != nil || !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %o: %x, %v; want an ErrKeyFile saying chmod 600", mode, key, err)
		}
	}
}
