//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta/internal/hostcases"
)

// TestDumpNeverRepeatsAKey runs vartadump with hostcases.Key, a key in
// text form, where a target, a socket path, a host, a zone or a key file
// belongs, in a target, in VARTA_OBSERVER and in each flag: whatever it
// says on stderr (a refusal, a failure to bind or resolve, the line that
// says where it listens), it holds no run of 32 characters of the key,
// and says (redacted) where it names the value. No name is looked up.
func TestDumpNeverRepeatsAKey(t *testing.T) {
	key := hostcases.Key
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("lookups are forbidden in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
	dir, err := os.MkdirTemp("", "vd") // short: a socket path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, "file-"+key)
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", key)
	for _, tc := range []struct {
		args []string
		env  string
		want string // "" where the build decides the words
	}{
		{[]string{key}, "", "no scheme, and not an absolute path"},
		{nil, key, "VARTA_OBSERVER: varta: invalid observer target: no scheme"},
		{[]string{"udp://" + key + ":9"}, "", "the host looks like a key"},
		{[]string{"udp://" + key[:32] + "." + key[32:] + ":9"}, "", "the host looks like a key"},
		{[]string{"-udp", key + ":9"}, "", "the host looks like a key"},
		{[]string{"-udp", key[:32] + ".example"}, "", "the port is missing: write -udp (redacted):9000"},
		{[]string{"-udp", key[:32] + ".example:9"}, "", "resolve (redacted): "},
		{[]string{"-udp", "[fe80::1%" + key + "]:9"}, "", "the host looks like a key"},
		{[]string{"-udp", "[fe80::1%" + key[:32] + "]:9"}, "", "listen udp (redacted): "},
		{[]string{"-udp", key[:32] + "." + key[32:] + ".corp:9"}, "", "the host looks like a key"},
		{[]string{"-uds", missing}, "", "listen unixgram (redacted): bind: no such file or directory"},
		{[]string{"unix://" + missing}, "", "listen unixgram (redacted): bind: no such file or directory"},
		{[]string{"-uds", file}, "", "(redacted) exists and is a regular file, not a socket"},
		{[]string{"-uds", filepath.Join(dir, key)}, "", "listening on unixgram (redacted) for plain frames"},
		{[]string{"-uds", "@" + key}, "", "listening on unixgram (redacted) (abstract)"},
		{[]string{"-udp", "127.0.0.1:0", "-key", key}, "", ""},
		{[]string{"-json=" + key, "-udp", "127.0.0.1:9000"}, "", "invalid boolean value \"(redacted)\" for -json"},
		{[]string{"-" + key}, "", "flag provided but not defined: -(redacted)"},
		{[]string{"-udp", "127.0.0.1:0", "-master-key", missing}, "", ""},
		{[]string{"secureudp://127.0.0.1:9?keyfile=" + missing}, "", ""},
	} {
		var stderr bytes.Buffer
		stop := make(chan os.Signal, 1)
		stop <- syscall.SIGINT // one that listens stops at once
		run(tc.args, tc.env, io.Discard, &stderr, stop)
		lower := strings.ToLower(stderr.String())
		for i := 0; i+32 <= len(key); i++ {
			if strings.Contains(lower, key[i:i+32]) {
				t.Errorf("%q, VARTA_OBSERVER=%q: stderr repeats %q of the key:\n%s", tc.args, tc.env, key[i:i+32], stderr.String())
				break
			}
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q, VARTA_OBSERVER=%q: stderr:\n%s\nwant it to say %q", tc.args, tc.env, stderr.String(), tc.want)
		}
	}
}
