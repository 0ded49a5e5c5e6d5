//go:build secureudp

package varta

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

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
