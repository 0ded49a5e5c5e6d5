package varta

// Proves that observer targets parse in each accepted form and are refused
// clearly otherwise, never repeating an inline key, and that ConnectTo and
// ConnectFromEnv reach Unix socket observers.

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// formatTarget writes t back as the canonical target string: the fuzz
// target checks that every accepted string means the same settings once
// written this way.
func formatTarget(t Target) string {
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	switch t.Scheme {
	case "unix":
		if strings.HasPrefix(t.Path, "@") {
			return "unix:" + t.Path
		}
		if strings.Contains(t.Path, "?") {
			return t.Path // unix:// takes no '?'; a bare path does
		}
		return "unix://" + t.Path
	case "udp":
		return "udp://" + host + ":" + strconv.Itoa(t.Port)
	case "secureudp":
		param := "keyfile="
		if t.Master {
			param = "masterkeyfile="
		}
		return "secureudp://" + host + ":" + strconv.Itoa(t.Port) + "?" + param + t.KeyFile
	}
	return ""
}

// goodTargets are accepted on every system; each comes with the settings
// it must parse to.
var goodTargets = []struct {
	in   string
	want Target
}{
	{"unix:///run/varta/observer.sock", Target{Scheme: "unix", Path: "/run/varta/observer.sock"}},
	{"/run/varta/observer.sock", Target{Scheme: "unix", Path: "/run/varta/observer.sock"}},
	{"/tmp/odd name?x=1#y", Target{Scheme: "unix", Path: "/tmp/odd name?x=1#y"}},
	{"unix:///", Target{Scheme: "unix", Path: "/"}},
	{"udp://127.0.0.1:9000", Target{Scheme: "udp", Host: "127.0.0.1", Port: 9000}},
	{"udp://[::1]:9000", Target{Scheme: "udp", Host: "::1", Port: 9000}},
	{"udp://[fe80::1%eth0]:1", Target{Scheme: "udp", Host: "fe80::1%eth0", Port: 1}},
	{"udp://observer.internal:65535", Target{Scheme: "udp", Host: "observer.internal", Port: 65535}},
	{"udp://my_host-2:09000", Target{Scheme: "udp", Host: "my_host-2", Port: 9000}},
	{"secureudp://observer.internal:9443?keyfile=/etc/varta/agent.key", Target{Scheme: "secureudp", Host: "observer.internal", Port: 9443, KeyFile: "/etc/varta/agent.key"}},
	{"secureudp://[::1]:9443?masterkeyfile=/etc/varta/master.key", Target{Scheme: "secureudp", Host: "::1", Port: 9443, KeyFile: "/etc/varta/master.key", Master: true}},
	{"secureudp://10.0.0.7:9443?keyfile=/k=v?w", Target{Scheme: "secureudp", Host: "10.0.0.7", Port: 9443, KeyFile: "/k=v?w"}},
}

func TestParseTargetAcceptsEachForm(t *testing.T) {
	for _, tc := range goodTargets {
		got, err := ParseTarget(tc.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseTargetAbstractSocketOnlyOnLinux(t *testing.T) {
	got, err := ParseTarget("unix:@varta")
	if runtime.GOOS == "linux" {
		if want := (Target{Scheme: "unix", Path: "@varta"}); err != nil || got != want {
			t.Fatalf("ParseTarget(unix:@varta) = %+v, %v; want %+v", got, err, want)
		}
		return
	}
	if !errors.Is(err, ErrInvalidTarget) || !strings.Contains(err.Error(), "only on Linux") {
		t.Fatalf("ParseTarget(unix:@varta) on %s: %v, want an error saying abstract sockets are Linux only", runtime.GOOS, err)
	}
}

// testHexKey is a key as a careless operator might paste it into a target.
const testHexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestParseTargetRefusesBadInputBeforeAnySystemCall(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: in the message
	}{
		// The string as a whole.
		{"", "the target is empty"},
		{" unix:///run/x.sock", "white space"},
		{"udp://127.0.0.1:9000\n", "white space"},
		{"run/varta/observer.sock", "not an absolute path"},
		{"./observer.sock", "not an absolute path"},
		{"@varta", "not an absolute path"},
		// Schemes.
		{"tcp://127.0.0.1:9000", `unknown scheme "tcp"`},
		{"UDP://127.0.0.1:9000", `unknown scheme "UDP"`},
		{"http://observer/", `unknown scheme "http"`},
		{"udp:127.0.0.1:9000", "write udp://host:port"},
		{"secureudp:/x:1?keyfile=/k", "write secureudp://host:port"},
		{"unix:/run/x.sock", "write unix:///absolute/path or unix:@name"},
		{"unix:run/x.sock", "write unix:///absolute/path or unix:@name"},
		{"unix://run/x.sock", "three slashes"},
		{"unix://", "three slashes"},
		{"unix:@", "needs a name"},
		{"unix:@varta?x=1", "takes no parameters"},
		{"unix:///run/x.sock?keyfile=/k", "takes no parameters"},
		{"unix:///tmp/a\x00b", `invalid socket path: "/tmp/a\x00b" contains a NUL byte`},
		{"/tmp/a\x00b", `invalid socket path: "/tmp/a\x00b" contains a NUL byte`},
		{"unix:///" + strings.Repeat("x", maxPathLen), "longer than the"},
		{"/" + strings.Repeat("x", maxPathLen), "longer than the"},
		// Host and port.
		{"udp://127.0.0.1", "port is missing"},
		{"udp://observer.internal", "port is missing"},
		{"udp://[::1]", "port is missing"},
		{"udp://127.0.0.1:", "port is missing"},
		{"udp://[::1]:", "port is missing"},
		{"secureudp://observer.internal?keyfile=/etc/varta/agent.key", "port is missing"},
		{"udp://:9000", "host is empty"},
		{"udp://127.0.0.1:0", "1..65535"},
		{"udp://127.0.0.1:65536", "1..65535"},
		{"udp://127.0.0.1:999999", "1..65535"},
		{"udp://127.0.0.1:-1", "1..65535"},
		{"udp://127.0.0.1:+9000", "1..65535"},
		{"udp://127.0.0.1:90 00", "1..65535"},
		{"udp://127.0.0.1:http", "1..65535"},
		{"udp://::1:9000", "IPv6 address goes in brackets"},
		{"udp://::1", "IPv6 address goes in brackets"},
		{"udp://1:2:x", "a target has one port, after the host"},
		{"udp://127.0.0.1:9000:9000", "a target has one port, after the host"},
		{"udp://[::1:9000", "no closing ']'"},
		{"udp://[::1]9000", "followed by :port"},
		{"udp://[]:9000", "the host is empty"},
		{"udp://[localhost]:9000", "brackets hold only an IPv6 address"},
		{"udp://[127.0.0.1]:9000", "brackets hold only an IPv6 address"},
		{"udp://[fe80::1%]:9000", "brackets hold only an IPv6 address"},
		{"udp://user@observer:9000", "has no user part"},
		{"udp://obs%eth0:9000", "not a valid IP address or DNS name"},
		{"udp://observer.internal:9000/", "no path"},
		{"udp://observer.internal:9000/beats", "no path"},
		{"udp://127.0.0.1:9000?keyfile=/etc/varta/agent.key", "udp:// target takes no parameters"},
		// Key parameters.
		{"secureudp://127.0.0.1:9443", "needs a key file"},
		{"secureudp://127.0.0.1:9443?", "nothing after '?'"},
		{"secureudp://127.0.0.1:9443?keyfile=etc/varta/agent.key", "must be an absolute path"},
		{"secureudp://127.0.0.1:9443?keyfile=./agent.key", "must be an absolute path"},
		{"secureudp://127.0.0.1:9443?masterkeyfile=master.key", "must be an absolute path"},
		{"secureudp://127.0.0.1:9443?keyfile=", "keyfile is empty"},
		{"secureudp://127.0.0.1:9443?keyfile=/a\x00b", "NUL"},
		{"secureudp://127.0.0.1:9443?keyfile=/a&masterkeyfile=/b", "both given"},
		{"secureudp://127.0.0.1:9443?masterkeyfile=/b&keyfile=/a", "both given"},
		{"secureudp://127.0.0.1:9443?keyfile=/a&keyfile=/b", "keyfile is given twice"},
		{"secureudp://127.0.0.1:9443?keyfile=/a&", "parameter 2 has no '='"},
		{"secureudp://127.0.0.1:9443?keyfile", "parameter 1 has no '='"},
		{"secureudp://127.0.0.1:9443?keyfile=/a&timeout=5", `parameter 2 "timeout" is unknown`},
		{"secureudp://127.0.0.1:9443?KeyFile=/a", `parameter 1 "KeyFile" is unknown`},
		{"secureudp://127.0.0.1:9443?keyfile=/a#frag", ""}, // accepted: '#' is part of the path
	} {
		_, err := ParseTarget(tc.in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ParseTarget(%q): %v, want it accepted", tc.in, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidTarget) {
			t.Errorf("ParseTarget(%q) = %v, want an error matching ErrInvalidTarget", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTarget(%q) = %q, want it to say %q", tc.in, err, tc.want)
		}
		if strings.Contains(err.Error(), "pass the port separately") {
			t.Errorf("ParseTarget(%q) = %q: ConnectUDP's advice, which a target cannot follow", tc.in, err)
		}
		// ConnectTo refuses the same way; a system call would have
		// made a different error (or an agent).
		if _, cerr := ConnectTo(tc.in); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("ConnectTo(%q) = %v, want %v", tc.in, cerr, err)
		}
	}
}

// TestParseTargetNamesTheMistakeAndItsFix checks the whole refusal of
// three mistakes a new user makes: a fragment ('#') after the port, an
// abstract name written after unix:// as a URL's host, and a link-local
// host without a zone. Each says what is wrong and shows the target to
// write, and ConnectTo refuses the same way.
func TestParseTargetNamesTheMistakeAndItsFix(t *testing.T) {
	const (
		udpFragment    = "varta: invalid observer target: a udp:// target has no fragment ('#'): write udp://host:port"
		secureFragment = "varta: invalid observer target: a secureudp:// target has no fragment ('#'): write secureudp://host:port?keyfile=/absolute/path"
		zone           = `" is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in `
	)
	unixAt := "varta: invalid observer target: an abstract socket name follows unix: with no slashes: write unix:@name (unix:// is followed by an absolute path, as in unix:///run/varta/observer.sock)"
	if !abstractNames {
		unixAt = "varta: invalid observer target: abstract sockets (unix:@name) exist only on Linux; name a socket file with unix:///absolute/path"
	}
	for _, tc := range []struct{ in, want string }{
		{"udp://127.0.0.1:47001#frag", udpFragment},
		{"udp://127.0.0.1:47001#", udpFragment},
		{"udp://127.0.0.1#frag:47001", udpFragment},
		{"udp://[::1]:9000#frag", udpFragment},
		{"secureudp://127.0.0.1:9443#frag?keyfile=/etc/varta/agent.key", secureFragment},
		{"unix://@varta", unixAt},
		{"unix://@", unixAt},
		{"udp://[fe80::1]:9000", `varta: invalid observer address: "[fe80::1]` + zone + "udp://[fe80::1%eth0]:port"},
		{"secureudp://[fe80::1]:9443?keyfile=/etc/varta/agent.key", `varta: invalid observer address: "[fe80::1]` + zone + "secureudp://[fe80::1%eth0]:port"},
	} {
		_, err := ParseTarget(tc.in)
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalidTarget) {
			t.Errorf("ParseTarget(%q) = %v\nwant %q, matching ErrInvalidTarget", tc.in, err, tc.want)
			continue
		}
		if _, cerr := ConnectTo(tc.in); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("ConnectTo(%q) = %v, want %v", tc.in, cerr, err)
		}
	}
}

// checkOffersWhatIsBuilt checks that err, an error that says what to give
// instead, offers exactly the schemes this build reaches, in its list
// "this build can reach (FORM, FORM ...)".
func checkOffersWhatIsBuilt(t *testing.T, err error) {
	t.Helper()
	_, list, ok := strings.Cut(err.Error(), "this build can reach (")
	list, _, closed := strings.Cut(list, ")")
	if !ok || !closed {
		t.Fatalf("%q lists no observer this build can reach", err)
	}
	var listed []string
	for form := range strings.SplitSeq(list, ", ") {
		scheme, _, _ := strings.Cut(form, "://")
		listed = append(listed, scheme)
	}
	var built []string
	for _, target := range []string{"unix:///nonexistent/varta.sock", "udp://127.0.0.1:9", "secureudp://127.0.0.1:9?keyfile=/nonexistent/varta.key"} {
		v, err := ConnectTo(target)
		if v != nil {
			v.Close()
		}
		if !errors.Is(err, ErrTransportNotBuilt) {
			scheme, _, _ := strings.Cut(target, "://")
			built = append(built, scheme)
		}
	}
	if !slices.Equal(listed, built) {
		t.Errorf("%q offers %q, but this build reaches %q", err, listed, built)
	}
}

// TestParseTargetChecksPathsAsConnectDoes checks that a unix target whose
// path Connect would refuse is refused by ParseTarget, before any system
// call, in Connect's words, matching ErrInvalidPath and ErrInvalidTarget.
func TestParseTargetChecksPathsAsConnectDoes(t *testing.T) {
	paths := []string{"/tmp/a\x00b", "/" + strings.Repeat("x", maxPathLen)}
	if abstractNames {
		paths = append(paths, "@"+strings.Repeat("x", maxAbstractLen+1))
	}
	for _, path := range paths {
		_, cerr := Connect(path)
		targets := []string{"unix://" + path, path}
		if path[0] == '@' {
			targets = []string{"unix:" + path}
		}
		for _, target := range targets {
			_, err := ParseTarget(target)
			if err == nil || cerr == nil || err.Error() != cerr.Error() || !errors.Is(err, ErrInvalidPath) || !errors.Is(err, ErrInvalidTarget) {
				t.Errorf("ParseTarget(%q) = %v\nwant Connect's %v, matching ErrInvalidPath and ErrInvalidTarget", target, err, cerr)
			}
		}
	}
}

// TestParseTargetAsksForBracketsAroundAnIPv6Address checks the refusal of
// an IPv6 address written without brackets, with a port or without: it
// shows the target to write, with the address that was given. In
// "::1:9000", where both "::1" and "::1:9000" are addresses, what follows
// the last ':' is read as the port.
func TestParseTargetAsksForBracketsAroundAnIPv6Address(t *testing.T) {
	for _, tc := range []struct{ in, fix string }{
		{"udp://2001:db8::1", "udp://[2001:db8::1]:port"},
		{"udp://::1", "udp://[::1]:port"},
		{"udp://fe80::1%eth0", "udp://[fe80::1%eth0]:port"},
		{"udp://::1:9000", "udp://[::1]:port"},
		{"udp://2001:db8::1:9000", "udp://[2001:db8::1]:port"},
		{"secureudp://::1?keyfile=/k", "secureudp://[::1]:port"},
	} {
		_, err := ParseTarget(tc.in)
		want := "varta: invalid observer address: an IPv6 address goes in brackets: " + tc.fix
		if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidTarget) || !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("ParseTarget(%q) = %v\nwant %q, matching ErrInvalidTarget and ErrInvalidAddress", tc.in, err, want)
		}
	}
}

// TestParseTargetNeverRepeatsAKeyGivenInline writes a key everywhere an
// operator might paste one and checks that the error refuses it without
// quoting it.
func TestParseTargetNeverRepeatsAKeyGivenInline(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"secureudp://127.0.0.1:9443?key=" + testHexKey, "put the key (64 hexadecimal characters) in a file"},
		{"secureudp://127.0.0.1:9443?masterkey=" + testHexKey, "masterkeyfile=/absolute/path"},
		{"secureudp://127.0.0.1:9443?keyfile=" + testHexKey, "must be an absolute path"},
		{"secureudp://127.0.0.1:9443?" + testHexKey, "has no '='"},
		{"secureudp://127.0.0.1:9443?" + testHexKey + "=1", "is unknown"},
		{"secureudp://127.0.0.1:9443?psk=" + testHexKey, `"psk" is unknown`},
		{"secureudp://127.0.0.1:9443?keyfile=/k&key=" + testHexKey, "never written into the target"},
		{testHexKey, "not an absolute path"},
		{testHexKey + ":", "unknown scheme"},
		{testHexKey + "@127.0.0.1:9443", "unknown scheme;"},
	} {
		_, err := ParseTarget(tc.in)
		if !errors.Is(err, ErrInvalidTarget) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTarget(key in %q form) = %v, want an ErrInvalidTarget saying %q", strings.ReplaceAll(tc.in, testHexKey, "KEY"), err, tc.want)
			continue
		}
		for _, part := range []string{testHexKey[:16], testHexKey[16:32], testHexKey[32:48], testHexKey[48:]} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("the error for the key in %q form repeats key material: %q", strings.ReplaceAll(tc.in, testHexKey, "KEY"), err)
				break
			}
		}
	}
}

func TestConnectFromEnvNamesTheVariableWhenUnsetOrEmpty(t *testing.T) {
	t.Setenv(ObserverEnv, "")
	v, err := ConnectFromEnv()
	if v != nil || !errors.Is(err, ErrInvalidTarget) {
		t.Fatalf("ConnectFromEnv() = %v, %v; want an error matching ErrInvalidTarget", v, err)
	}
	if !strings.Contains(err.Error(), "VARTA_OBSERVER is unset or empty: set it") {
		t.Fatalf("error %q does not say which variable to set", err)
	}
	checkOffersWhatIsBuilt(t, err)
}

func TestConnectFromEnvPrefixesTheVariableToConnectToErrors(t *testing.T) {
	t.Setenv(ObserverEnv, "udp://127.0.0.1")
	_, err := ConnectFromEnv()
	const want = "varta: VARTA_OBSERVER: invalid observer target: the port is missing"
	if !errors.Is(err, ErrInvalidTarget) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("ConnectFromEnv() = %v, want an ErrInvalidTarget starting %q", err, want)
	}
}

// FuzzParseTarget checks that parseTarget never panics, refuses only with
// ErrInvalidTarget, and that every string it accepts has valid settings
// that round-trip: written back as a canonical target, they parse to the
// same settings, and writing those again gives the same string.
func FuzzParseTarget(f *testing.F) {
	for _, tc := range goodTargets {
		f.Add(tc.in)
	}
	for _, s := range []string{
		"", "unix:@varta", "udp://[::1", "udp://a:1?", "secureudp://h:1?keyfile=/a&masterkeyfile=/b",
		"secureudp://h:1?key=" + testHexKey, "unix://x", "x:", ":", "//", "udp://", "secureudp://[",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTarget(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidTarget) {
				t.Fatalf("ParseTarget(%q) = %v, want an error matching ErrInvalidTarget", s, err)
			}
			return
		}
		switch got.Scheme {
		case "unix":
			if got.Path == "" || got.Path[0] != '/' && got.Path[0] != '@' || got.Host != "" || got.Port != 0 || got.KeyFile != "" || got.Master {
				t.Fatalf("ParseTarget(%q) = %+v: not a unix target", s, got)
			}
		case "udp", "secureudp":
			if got.Path != "" || got.Host == "" || got.Port < 1 || got.Port > 65535 {
				t.Fatalf("ParseTarget(%q) = %+v: bad host or port", s, got)
			}
			if (got.Scheme == "secureudp") != strings.HasPrefix(got.KeyFile, "/") || got.Master && got.Scheme != "secureudp" {
				t.Fatalf("ParseTarget(%q) = %+v: bad key file", s, got)
			}
		default:
			t.Fatalf("ParseTarget(%q) = %+v: no transport", s, got)
		}
		canon := formatTarget(got)
		again, err := ParseTarget(canon)
		if err != nil {
			t.Fatalf("ParseTarget(%q) accepted, but its canonical form %q is refused: %v", s, canon, err)
		}
		if again != got {
			t.Fatalf("ParseTarget(%q) = %+v, but its canonical form %q parses to %+v", s, got, canon, again)
		}
		if back := formatTarget(again); back != canon {
			t.Fatalf("canonical form of %q is %q, then %q", s, canon, back)
		}
	})
}

// expectBeats sends three beats and checks that r receives them in order,
// from this process.
func expectBeats(t *testing.T, v *Varta, r *receiver) {
	t.Helper()
	for i := uint64(1); i <= 3; i++ {
		if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		f, err := DecodeFrame(r.recv())
		if err != nil {
			t.Fatalf("beat %d: %v", i, err)
		}
		if f.Nonce != i || f.Payload != uint32(i) || f.PID != uint32(os.Getpid()) {
			t.Fatalf("beat %d arrived as %+v", i, f)
		}
	}
}

func TestConnectFromEnvBeatsReachAUnixObserver(t *testing.T) {
	r := listen(t)
	for _, target := range []string{"unix://" + r.path, r.path} {
		t.Run(target, func(t *testing.T) {
			t.Setenv(ObserverEnv, target)
			v, err := ConnectFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			expectBeats(t, v, r)
		})
	}
}

func TestConnectToAbstractUnixSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("abstract sockets exist only on Linux, not on %s", runtime.GOOS)
	}
	name := "@varta-target-test-" + strconv.Itoa(os.Getpid())
	r := listenAt(t, name)
	v, err := ConnectTo("unix:" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	expectBeats(t, v, r)
}

// TestConnectToUnixErrorsAreConnects checks that a valid unix target fails
// with Connect's own errors, prefixed with the variable's name when it
// came from the environment.
func TestConnectToUnixErrorsAreConnects(t *testing.T) {
	missing := socketDir(t) + "/none.sock"
	t.Setenv(ObserverEnv, "unix://"+missing)
	_, err := ConnectFromEnv()
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "varta: VARTA_OBSERVER: ") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("ConnectFromEnv() = %v, want Connect's fs.ErrNotExist naming %s after the variable", err, missing)
	}
	long := "/" + strings.Repeat("x", maxPathLen)
	if _, err := ConnectTo(long); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("ConnectTo(a path of %d bytes) = %v, want ErrInvalidPath", len(long), err)
	}
}
