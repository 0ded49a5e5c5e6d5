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
