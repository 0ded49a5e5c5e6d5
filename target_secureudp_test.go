//go:build secureudp

package varta

// Proves that secureudp:// targets seal with the key from the file and
// report key file errors as LoadKeyFile does.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/varta-go/varta/internal/hostcases"
)

// writeKeyFile writes key as a key file (hex and a newline) and returns
// its absolute path.
func writeKeyFile(t *testing.T, hexKey string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.key")
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectToSecureUDPBeatsOpenWithTheKeyFromTheFile(t *testing.T) {
	key := testKey(t)
	keyFile := writeKeyFile(t, testKeyHex)
	for _, tc := range []struct {
		param string
		open  func(key, wire []byte) (Frame, error)
		size  int
	}{
		{"keyfile", OpenSecureFrame, SecureFrameBytes},
		{"masterkeyfile", OpenMasterFrame, MasterFrameBytes},
	} {
		t.Run(tc.param, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			t.Setenv(ObserverEnv, "secureudp://127.0.0.1:"+strconv.Itoa(port)+"?"+tc.param+"="+keyFile)
			v, err := ConnectFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			for i := uint64(1); i <= 3; i++ {
				if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
					t.Fatalf("beat %d: %v", i, out)
				}
				wire := r.recv()
				if len(wire) != tc.size {
					t.Fatalf("beat %d: %d bytes, want %d", i, len(wire), tc.size)
				}
				f, err := tc.open(key, wire)
				if err != nil {
					t.Fatalf("beat %d does not open with the key in the file: %v", i, err)
				}
				if f.Nonce != i || f.PID != uint32(os.Getpid()) {
					t.Fatalf("beat %d opened as %+v", i, f)
				}
			}
		})
	}
}

func TestConnectToSecureUDPKeyFileErrorsAreLoadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.key")
	if _, err := ConnectTo("secureudp://127.0.0.1:9443?keyfile=" + missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing key file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
	short := writeKeyFile(t, testKeyHex[:62])
	if _, err := ConnectTo("secureudp://127.0.0.1:9443?masterkeyfile=" + short); !errors.Is(err, ErrKeyText) || strings.Contains(err.Error(), testKeyHex[:16]) {
		t.Errorf("short key file: %v, want ErrKeyText without the key's text", err)
	}
	good := writeKeyFile(t, testKeyHex)
	if _, err := ConnectTo("secureudp://0.0.0.0:9443?keyfile=" + good); !errors.Is(err, ErrInvalidAddress) {
		t.Errorf("unspecified host: %v, want ErrInvalidAddress", err)
	}
}

// secureEchoCases are the calls of TestNoErrorRepeatsAKey that this build
// adds: the secure constructors given a key as their host, and
// LoadKeyFile, and ConnectTo through it, given paths that hold a key: of a
// missing file, of files it refuses, of a file that holds no key, of a
// symlink to one of those.
func secureEchoCases(t *testing.T) []echoCase {
	key := hostcases.Key
	secret := make([]byte, KeyBytes)
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	open := write(key, testKeyHex, 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	bad := write("bad/"+key, "not a key", 0o600)
	large := write("large/"+key, strings.Repeat("0", maxKeyFileBytes+1), 0o600)
	inOpenDir := write("open-"+key+"/agent.key", testKeyHex, 0o600)
	if err := os.Chmod(filepath.Dir(inOpenDir), 0o777); err != nil {
		t.Fatal(err)
	}
	load := func(path string) func() error {
		return func() error { _, err := LoadKeyFile(path); return err }
	}
	return []echoCase{
		{"ConnectSecureUDP host", func() error { return closeAgent(ConnectSecureUDP(key, 9, secret)) }, "the host looks like a key"},
		{"ConnectSecureUDPWithMaster host", func() error { return closeAgent(ConnectSecureUDPWithMaster(key[:32]+"."+key[32:], 9, secret)) }, "the host looks like a key"},
		{"LoadKeyFile relative path", load(key), "read key file (redacted): no such file or directory"},
		{"LoadKeyFile missing file", load(filepath.Join(dir, "missing", key)), "read key file (redacted): no such file or directory"},
		{"LoadKeyFile directory", load(filepath.Dir(inOpenDir)), "(redacted) is a directory"},
		{"LoadKeyFile mode", load(open), "(redacted) is open to its group or others (mode -rw-r--r--): chmod 600 (redacted)"},
		{"LoadKeyFile symlink", load(link), "(which resolves to (redacted)) is open to its group or others (mode -rw-r--r--): chmod 600 (redacted)"},
		{"LoadKeyFile directory mode", load(inOpenDir), "chmod o-w,g-w (redacted), or chmod +t (redacted)"},
		{"LoadKeyFile content", load(bad), "(key file (redacted))"},
		{"LoadKeyFile size", load(large), "key file (redacted) is larger than 4096 bytes"},
		{"ConnectTo key file", func() error {
			return closeAgent(ConnectTo("secureudp://127.0.0.1:9?keyfile=" + filepath.Join(dir, "missing", key)))
		}, "read key file (redacted): no such file or directory"},
	}
}
