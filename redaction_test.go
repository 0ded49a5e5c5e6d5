package varta

// Proves that no error repeats a value that may be a key: a key pasted
// where a path, a host, a target or a zone belongs comes back as
// (redacted), through every entry point that echoes its input.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/varta-go/varta/internal/hostcases"
)

// echoCase is a call given a key where something else belongs, and what
// its error must say instead of repeating it: "(redacted)" where it names
// the value, or other words of its refusal where it never did.
type echoCase struct {
	name string
	call func() error
	want string
}

// TestNoErrorRepeatsAKey feeds hostcases.Key, a key in text form, to every
// entry point that repeats a value it was given in its errors: Connect,
// ParseTarget, ConnectTo, ConnectFromEnv and, in the builds that have
// them, ConnectUDP, ConnectSecureUDP, ConnectSecureUDPWithMaster and
// LoadKeyFile (vartadump's tests do the same for its command line). Every
// call fails, and no error holds any run of 32 characters of the key, in
// either case.
func TestNoErrorRepeatsAKey(t *testing.T) {
	key := hostcases.Key
	t.Chdir(t.TempDir())
	long := "/" + strings.Repeat("d/", 40) + key
	target := func(s string) func() error {
		return func() error { _, err := ParseTarget(s); return err }
	}
	connectTo := func(s string) func() error {
		return func() error { return closeAgent(ConnectTo(s)) }
	}
	connect := func(path string) func() error {
		return func() error { return closeAgent(Connect(path)) }
	}
	cases := []echoCase{
		{"Connect relative path", connect(key), "connect to observer at (redacted): no socket file there"},
		{"Connect absolute path", connect(filepath.Join(os.TempDir(), key)), "connect to observer at (redacted)"},
		{"Connect abstract name", connect("@" + key), "(redacted)"},
		{"Connect path with NUL", connect(key + "\x00"), "invalid socket path: (redacted) contains a NUL byte"},
		{"Connect path too long", connect(strings.Repeat("d/", 40) + key), "invalid socket path: the absolute path (redacted) is"},
		{"ParseTarget bare key", target(key), "no scheme, and not an absolute path"},
		{"ParseTarget scheme", target(key + "://host:9"), "unknown scheme;"},
		{"ParseTarget path with NUL", target("unix://" + long[:20] + key + "\x00"), "(redacted) contains a NUL byte"},
		{"ParseTarget path too long", target(long), ": " + strconv.Itoa(len(long)) + " bytes, longer than"},
		{"ParseTarget host", target("udp://" + key + ":9"), "the host looks like a key"},
		{"ParseTarget host in labels", target("udp://" + key[:32] + "." + key[32:] + ":9"), "the host looks like a key"},
		{"ParseTarget host without port", target("udp://" + key), "the port is missing"},
		{"ParseTarget bracketed zone", target("udp://[fe80::1%" + key + "]"), "the host looks like a key"},
		{"ParseTarget bracketed zone of half a key", target("udp://[fe80::1%" + key[:32] + "]"), "write udp://(redacted):port"},
		{"ParseTarget host in labels with a suffix", target("udp://" + key[:32] + "." + key[32:] + ".corp:9"), "the host looks like a key"},
		{"ParseTarget zone without brackets", target("udp://fe80::1%" + key), "udp://[(redacted)]:port"},
		{"ParseTarget key parameter", target("secureudp://h:9?key=" + key), "keys are never written into the target"},
		{"ParseTarget relative key file", target("secureudp://h:9?keyfile=" + key), "keyfile must be an absolute path"},
		{"ParseTarget parameter name", target("secureudp://h:9?" + key + "=/k"), "is unknown"},
		{"ConnectTo bare path", connectTo(filepath.Join(os.TempDir(), key)), "connect to observer at (redacted)"},
		{"ConnectTo host", connectTo("secureudp://" + key + ":9?keyfile=/k"), "the host looks like a key"},
	}
	t.Setenv(ObserverEnv, key)
	cases = append(cases, echoCase{"ConnectFromEnv", func() error { return closeAgent(ConnectFromEnv()) }, ObserverEnv + ": invalid observer target"})
	cases = append(cases, udpEchoCases(t)...)
	cases = append(cases, secureEchoCases(t)...)
	for _, tc := range cases {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if run := keyRunIn(err.Error(), key); run != "" {
			t.Errorf("%s: error %q repeats %q of the key", tc.name, err, run)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// keyRunIn returns a run of 32 characters of key that text holds, in
// either case, or "".
func keyRunIn(text, key string) string {
	text = strings.ToLower(text)
	for i := 0; i+32 <= len(key); i++ {
		if run := strings.ToLower(key[i : i+32]); strings.Contains(text, run) {
			return run
		}
	}
	return ""
}

// closeAgent closes v if a constructor returned one, and returns err.
func closeAgent(v *Varta, err error) error {
	if v != nil {
		v.Close()
	}
	return err
}
