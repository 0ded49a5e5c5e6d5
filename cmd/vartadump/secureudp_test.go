//go:build secureudp && unix

package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
)

// keyFile writes key in hex to a file and returns its path.
func keyFile(t *testing.T, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDumpOpensSecureFrames(t *testing.T) {
	key := bytes.Repeat([]byte{3}, varta.KeyBytes)
	other := bytes.Repeat([]byte{4}, varta.KeyBytes)
	for _, tc := range []struct {
		flag    string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
	}{
		{"-key", varta.ConnectSecureUDP},
		{"-master-key", varta.ConnectSecureUDPWithMaster},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			d := startDump(t, "-udp", "127.0.0.1:0", tc.flag, keyFile(t, key), "-json")
			agent, err := tc.connect("127.0.0.1", udpPort(t, d), key)
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			for i := uint64(1); i <= 2; i++ {
				beat(t, agent, varta.StatusOK, uint32(i))
				checkJSONFrame(t, d.line(), os.Getpid(), "ok", i, uint32(i), false)
			}
			stranger, err := tc.connect("127.0.0.1", udpPort(t, d), other)
			if err != nil {
				t.Fatal(err)
			}
			defer stranger.Close()
			beat(t, stranger, varta.StatusOK, 0)
			if l := d.line(); !strings.Contains(l, `"error":"varta: secure frame does not authenticate`) {
				t.Errorf("frame under another key printed as %q", l)
			}
			code, stderr := d.interrupt(syscall.SIGINT)
			if want := fmt.Sprintf("pid %d: 2 frames, 0 nonce gaps, ", os.Getpid()); code != 0 || !strings.Contains(stderr, want) ||
				!strings.Contains(stderr, "1 undecodable") {
				t.Errorf("exit %d, stderr:\n%s\nwant 0 and a summary with %q", code, stderr, want)
			}
		})
	}
}

func TestDumpHintsAtTheOtherKeyFlag(t *testing.T) {
	key := bytes.Repeat([]byte{3}, varta.KeyBytes)
	plain := func(host string, port int, _ []byte) (*varta.Varta, error) { return varta.ConnectUDP(host, port) }
	for _, tc := range []struct {
		flag    string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
		want    string
	}{
		{"-key", varta.ConnectSecureUDPWithMaster, "got 64 bytes, want 60 (a master-key frame? use -master-key)"},
		{"-master-key", varta.ConnectSecureUDP, "got 60 bytes, want 64 (a shared-key frame? use -key)"},
		{"-key", plain, "(a plain frame? run without a key flag)"},
		{"-master-key", plain, "(a plain frame? run without a key flag)"},
	} {
		t.Run(tc.flag+" "+tc.want, func(t *testing.T) {
			d := startDump(t, "-udp", "127.0.0.1:0", tc.flag, keyFile(t, key))
			agent, err := tc.connect("127.0.0.1", udpPort(t, d), key)
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			beat(t, agent, varta.StatusOK, 0)
			if l := d.line(); !strings.Contains(l, tc.want) {
				t.Errorf("printed %q, want %q", l, tc.want)
			}
		})
	}
}

func TestDumpRejectsBadKeyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-uds", "/tmp/a", "-key", "k"}, 2, "need -udp"},
		{[]string{"-udp", "127.0.0.1:0", "-key", "k", "-master-key", "k"}, 2, "exclude each other"},
		{[]string{"-udp", "127.0.0.1:0", "-key", filepath.Join(t.TempDir(), "missing")}, 1, "read key file"},
	} {
		var stderr bytes.Buffer
		if got := run(tc.args, &bytes.Buffer{}, &stderr, nil); got != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, got, stderr.String(), tc.code, tc.want)
		}
	}
}
