//go:build secureudp

package varta

// Proves the key file rules (SPEC R6.10): LoadKeyFile reads only a file
// that nobody but its owner, this process's user or root, could have
// written, follows symlinks to check their target, and refuses a file put
// in the place of the one it checked.

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// otherUID owns the files of the tests that need another user's file: the
// traditional nobody.
const otherUID = 65534

// writeKeyFileAt writes testKeyHex as a key file at path, with mode,
// creating its directory (mode 0700) if need be.
func writeKeyFileAt(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(testKeyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// chownToAnotherUser gives path, which a symlink may name, to otherUID, or
// skips the test where the process may not (only root may): a skip that
// VARTA_REQUIRE_CORE_TESTS=1 turns into a failure.
func chownToAnotherUser(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, otherUID, -1); err != nil {
		skipCore(t, "giving a file to uid %d takes root (CAP_CHOWN), which this test runs without: %v", otherUID, err)
	}
}

// loadsTheKey checks that LoadKeyFile(path) returns the test key.
func loadsTheKey(t *testing.T, path string) {
	t.Helper()
	key, err := LoadKeyFile(path)
	if err != nil || hex.EncodeToString(key) != testKeyHex {
		t.Errorf("LoadKeyFile(%s) = %x, %v; want the key", path, key, err)
	}
}

// refusesKeyFile checks that LoadKeyFile(path) returns no key and an error
// matching ErrKeyFile, and none of the errors of a missing or unreadable
// file or of bad content, that reads want.
func refusesKeyFile(t *testing.T, path, want string) {
	t.Helper()
	key, err := LoadKeyFile(path)
	if key != nil || !errors.Is(err, ErrKeyFile) || err.Error() != want {
		t.Errorf("LoadKeyFile(%s) = %x, %v\nwant an ErrKeyFile reading\n%s", path, key, err, want)
		return
	}
	for _, other := range []error{ErrKeyText, fs.ErrNotExist, fs.ErrPermission} {
		if errors.Is(err, other) {
			t.Errorf("LoadKeyFile(%s): error %v also matches %v", path, err, other)
		}
	}
}

// euid is this process's effective uid, as a refusal names it.
func euid() string { return strconv.Itoa(unix.Geteuid()) }

// TestLoadKeyFileRefusesAFileAnotherUserOwns gives a 0600 key file to
// another user: whoever that is could have written it, so it is refused
// with the chown that fixes it, and taken once it is given back.
func TestLoadKeyFileRefusesAFileAnotherUserOwns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.key")
	writeKeyFileAt(t, path, 0o600)
	chownToAnotherUser(t, path)
	refusesKeyFile(t, path, `varta: not a usable key file: "`+path+`" is owned by uid 65534, not by this process's user (uid `+euid()+
		`) or root, so that user could have written it: chown `+euid()+` `+path)
	if err := os.Chown(path, unix.Geteuid(), -1); err != nil {
		t.Fatal(err)
	}
	loadsTheKey(t, path)
}

// TestLoadKeyFileRefusesAFileInADirectoryOthersMayWrite puts a good key
// file (0600, this user's) in directories of every kind: one its group or
// others may write lets them replace the file, so it is refused with the
// chmod that fixes it, unless its sticky bit lets only a file's owner
// replace the file (as in /tmp).
func TestLoadKeyFileRefusesAFileInADirectoryOthersMayWrite(t *testing.T) {
	for _, tc := range []struct {
		mode  fs.FileMode
		taken bool
	}{
		{0o700, true},
		{0o755, true},
		{0o750, true},
		{0o770, false},
		{0o730, false},
		{0o703, false},
		{0o777, false},
		{0o777 | fs.ModeSticky, true},
		{0o770 | fs.ModeSticky, true},
	} {
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "agent.key")
		writeKeyFileAt(t, path, 0o600)
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		if tc.taken {
			loadsTheKey(t, path)
			continue
		}
		refusesKeyFile(t, path, `varta: not a usable key file: "`+path+`" is in a directory that its group or others may write (mode `+(fs.ModeDir|tc.mode).String()+
			`), so they could have put it there: chmod o-w,g-w `+dir+`, or chmod +t `+dir+` if others must create files there (then only a file's owner may replace it)`)
	}
}

// TestLoadKeyFileRefusesAFileInADirectoryAnotherUserOwns puts a good key
// file (0600, this user's) in a directory that another user owns, closed
// to others or sticky: its owner may still rename the file away and put
// another in its place, so it is refused with the chown that fixes it, and
// taken once the directory is given back.
func TestLoadKeyFileRefusesAFileInADirectoryAnotherUserOwns(t *testing.T) {
	for _, mode := range []fs.FileMode{0o755, 0o700, 0o777 | fs.ModeSticky} {
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "agent.key")
		writeKeyFileAt(t, path, 0o600)
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		chownToAnotherUser(t, dir)
		refusesKeyFile(t, path, `varta: not a usable key file: "`+path+`" is in a directory owned by uid 65534, not by this process's user (uid `+euid()+
			`) or root, so that user could have put it there: chown `+euid()+` `+dir+`, or keep the key in a directory of this user or root`)
		if err := os.Chown(dir, unix.Geteuid(), -1); err != nil {
			t.Fatal(err)
		}
		loadsTheKey(t, path)
	}
}

// TestLoadKeyFileFollowsSymlinksAndChecksTheirTarget names key files
// through symlinks: a chain of them as a container's secret volume has,
// and one in a directory anyone may write, are taken when the file they
// resolve to is good, whatever the symlinks' own directories; a symlink to
// a file that is open to others, in a directory others may write, or
// another user's, is refused for what its target is, naming both.
func TestLoadKeyFileFollowsSymlinksAndChecksTheirTarget(t *testing.T) {
	root := t.TempDir()

	// A secret volume: agent.key -> ..data/agent.key, ..data -> ..2025_01_01.
	volume := filepath.Join(root, "secrets")
	writeKeyFileAt(t, filepath.Join(volume, "..2025_01_01", "agent.key"), 0o400)
	symlink(t, "..2025_01_01", filepath.Join(volume, "..data"))
	symlink(t, "..data/agent.key", filepath.Join(volume, "agent.key"))
	loadsTheKey(t, filepath.Join(volume, "agent.key"))

	// A symlink's own directory is not the file's.
	good := filepath.Join(root, "good", "agent.key")
	writeKeyFileAt(t, good, 0o600)
	open := filepath.Join(root, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	symlink(t, good, filepath.Join(open, "good.key"))
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	loadsTheKey(t, filepath.Join(open, "good.key"))

	readable := filepath.Join(root, "readable", "agent.key")
	writeKeyFileAt(t, readable, 0o644)
	link := filepath.Join(root, "readable.key")
	symlink(t, readable, link)
	refusesKeyFile(t, link, `varta: not a usable key file: "`+link+`" (which resolves to "`+readable+`") is open to its group or others (mode -rw-r--r--): chmod 600 `+readable)

	inOpen := filepath.Join(root, "writable", "agent.key")
	writeKeyFileAt(t, inOpen, 0o600)
	if err := os.Chmod(filepath.Dir(inOpen), 0o777); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(root, "writable.key")
	symlink(t, inOpen, link)
	refusesKeyFile(t, link, `varta: not a usable key file: "`+link+`" (which resolves to "`+inOpen+`") is in a directory that its group or others may write (mode drwxrwxrwx), so they could have put it there: chmod o-w,g-w `+
		filepath.Dir(inOpen)+`, or chmod +t `+filepath.Dir(inOpen)+` if others must create files there (then only a file's owner may replace it)`)

	dangling := filepath.Join(root, "dangling.key")
	symlink(t, filepath.Join(root, "nothing"), dangling)
	if _, err := LoadKeyFile(dangling); !errors.Is(err, fs.ErrNotExist) || err.Error() != `varta: read key file "`+dangling+`": no such file or directory` {
		t.Errorf("dangling symlink: %v; want an error matching fs.ErrNotExist", err)
	}

	others := filepath.Join(root, "others", "agent.key")
	writeKeyFileAt(t, others, 0o600)
	link = filepath.Join(root, "others.key")
	symlink(t, others, link)
	chownToAnotherUser(t, others)
	refusesKeyFile(t, link, `varta: not a usable key file: "`+link+`" (which resolves to "`+others+`") is owned by uid 65534, not by this process's user (uid `+euid()+
		`) or root, so that user could have written it: chown `+euid()+` `+others)
}

// TestLoadKeyFileRefusesAFileSwappedBeforeItIsOpened replaces a checked
// key file, between its checks and its opening (a test hook), by another
// file, a symlink to a good key file and a named pipe: LoadKeyFile opens
// what it did not check, sees that it is not the file it checked, and
// refuses it, without blocking on the pipe and returning no key.
func TestLoadKeyFileRefusesAFileSwappedBeforeItIsOpened(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	writeKeyFileAt(t, good, 0o600)
	t.Cleanup(func() { keyFileCheckedHook = nil })
	for _, swap := range []struct {
		name string
		make func(path string) error
	}{
		{"another file", func(path string) error {
			return os.WriteFile(path, []byte(hex.EncodeToString(make([]byte, KeyBytes))), 0o600)
		}},
		{"a symlink", func(path string) error { return os.Symlink(good, path) }},
		{"a named pipe", func(path string) error { return unix.Mkfifo(path, 0o600) }},
	} {
		path := filepath.Join(dir, "agent.key")
		writeKeyFileAt(t, path, 0o600)
		keyFileCheckedHook = func() {
			next := filepath.Join(dir, "next")
			if err := swap.make(next); err != nil {
				t.Error(err)
			}
			if err := os.Rename(next, path); err != nil {
				t.Error(err)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			refusesKeyFile(t, path, `varta: not a usable key file: "`+path+`" was replaced between its checks and its opening: load it again, and find out who else writes to its directory`)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: LoadKeyFile has not returned within 10s", swap.name)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// symlink makes a symlink at link to target.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
