//go:build unix

package main

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/hostcases"
	"github.com/varta-go/varta/vartatest"
)

// beatsArrive has agent beat twice and checks that d prints both frames,
// as JSON.
func beatsArrive(t *testing.T, d *dump, agent *varta.Varta) {
	t.Helper()
	for i := uint64(1); i <= 2; i++ {
		beat(t, agent, varta.StatusOK, uint32(i))
		checkJSONFrame(t, d.line(), os.Getpid(), "ok", i, uint32(i), false)
	}
}

// stopsWithSummary interrupts d and checks that it exits 0 with a summary
// of frames frames.
func stopsWithSummary(t *testing.T, d *dump, frames string) {
	t.Helper()
	code, stderr := d.interrupt(syscall.SIGINT)
	if want := "vartadump: " + frames + " from 1 pid"; code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and %q", code, stderr, want)
	}
}

// The agent and vartadump take the same string: what an operator pastes
// from VARTA_OBSERVER. A flag after the target counts.
func TestDumpTakesASocketFileTarget(t *testing.T) {
	for _, form := range []string{"unix://", ""} {
		t.Run("form="+form, func(t *testing.T) {
			path := socketPath(t)
			target := form + path
			d := startDump(t, target, "-json")
			if want := "unixgram " + path + " for plain frames;"; !strings.HasPrefix(d.listenOn, want) {
				t.Errorf("listening on %q, want %q", d.listenOn, want)
			}
			beatsArrive(t, d, connectTo(t, target))
			stopsWithSummary(t, d, "2 frames")
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("socket file left behind: %v", err)
			}
		})
	}
}

// Without a target or flag, vartadump listens where VARTA_OBSERVER says,
// and says that the variable named the address.
func TestDumpReadsTheTargetInVartaObserver(t *testing.T) {
	target := "unix://" + socketPath(t)
	d := startDumpWithEnv(t, target, "-json")
	if want := " (from VARTA_OBSERVER) for plain frames;"; !strings.Contains(d.listenOn, want) {
		t.Errorf("listening on %q, want it to name the variable: %q", d.listenOn, want)
	}
	beatsArrive(t, d, connectTo(t, target))
	stopsWithSummary(t, d, "2 frames")
}

func TestDumpPrefersTheCommandLineToVartaObserver(t *testing.T) {
	for _, args := range [][]string{{"unix:///tmp/arg.sock"}, {"-uds", "/tmp/arg.sock"}} {
		cfg, err := configOf(args, "unix:///tmp/env.sock")
		if err != nil || cfg.at.Path != "/tmp/arg.sock" || cfg.from != "" {
			t.Errorf("%q with VARTA_OBSERVER set: %+v, %v; want /tmp/arg.sock, not from the variable", args, cfg, err)
		}
	}
}

// A vartatest observer's Target is the shape an operator pastes. Once the
// observer is closed, which removes its socket and directory, and the
// directory is made again, vartadump listens where it names.
func TestDumpTakesTheTargetOfAVartatestObserver(t *testing.T) {
	obs := vartatest.NewObserver(t)
	target := obs.Target()
	obs.Close()
	dir := filepath.Dir(obs.Path())
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := startDump(t, "-json", target)
	beatsArrive(t, d, connectTo(t, target))
	stopsWithSummary(t, d, "2 frames")
}

// A target vartadump refuses, it refuses in the library's words, read
// from the command line or from VARTA_OBSERVER, with exit status 2.
func TestDumpRefusesBadTargetsInTheLibrarysWords(t *testing.T) {
	for _, target := range []string{
		"relative/observer.sock",
		"unix://run/varta/observer.sock",
		"unix:///run/varta/observer.sock?x=1",
		"unix:@",
		"unix:///tmp/a\x00b",
		"unix:///" + strings.Repeat("x", 200),
		"/" + strings.Repeat("x", 200),
		"http://127.0.0.1:9000",
		"UDP://127.0.0.1:9000",
		"udp:127.0.0.1:9000",
		"udp://127.0.0.1",
		"udp://127.0.0.1:0",
		"udp://127.0.0.1:65536",
		"udp://127.0.0.1:9000?keyfile=/k",
		"udp://127.0.0.1:9000/path",
		"udp://user@127.0.0.1:9000",
		" udp://127.0.0.1:9000",
		"secureudp://127.0.0.1:9443",
		"secureudp://127.0.0.1:9443?key=00",
		"secureudp://127.0.0.1:9443?keyfile=relative.key",
		"secureudp://127.0.0.1:9443?keyfile=/k&masterkeyfile=/k",
	} {
		_, perr := varta.ParseTarget(target)
		if perr == nil {
			t.Fatalf("ParseTarget(%q) accepts it: not a bad target", target)
		}
		refuses(t, []string{target}, "", "vartadump: "+perr.Error()+"\n")
		refuses(t, nil, target, "vartadump: VARTA_OBSERVER: "+perr.Error()+"\n")
	}
}

// vartadump reads a host as agents do, in a udp:// or secureudp:// target
// and in -udp: it refuses the hosts that ConnectTo and ConnectUDP refuse,
// for the same reasons, and takes the others. A target's refusal is the
// library's; -udp's says it is about -udp's value, and shows no target
// syntax. -udp also takes the wildcard hosts 0.0.0.0 and [::], which only
// a listener may name; a target with one is refused, with a line that
// points to -udp.
func TestDumpReadsHostsAsAgentsDo(t *testing.T) {
	for _, tc := range hostcases.Cases {
		for _, args := range [][]string{
			{"udp://" + tc.Host + ":9"},
			{"secureudp://" + tc.Host + ":9?keyfile=/nonexistent/varta.key"},
			{"-udp", tc.Host + ":9"},
		} {
			scheme, udpFlag := "udp", args[0] == "-udp"
			if strings.HasPrefix(args[0], "secureudp:") {
				scheme = "secureudp"
			}
			host := strings.TrimSuffix(strings.TrimPrefix(tc.Host, "["), "]")
			wildcard := tc.Host == "0.0.0.0" || tc.Host == "[::]"
			if tc.Host == "" && udpFlag {
				host = "::" // -udp :PORT listens on every address
			}
			if ip, err := netip.ParseAddr(host); tc.Want == "" && err == nil && ip.IsMulticast() {
				if _, err := configOf(args, ""); err == nil || !errors.Is(err, varta.ErrTransportNotBuilt) && !strings.Contains(err.Error(), "joins no multicast group") {
					t.Errorf("%q: %v; want a refusal to listen on a multicast address", args, err)
				}
				continue
			}
			if tc.Want == "" || (wildcard || tc.Host == "") && udpFlag {
				// Taken, or refused only for a transport this build lacks.
				cfg, err := configOf(args, "")
				if err != nil && !errors.Is(err, varta.ErrTransportNotBuilt) || err == nil && (cfg.at.Host != host || cfg.at.Port != 9) {
					t.Errorf("%q: %+v, %v; want host %q and port 9", args, cfg.at, err, host)
				}
				continue
			}
			want := "vartadump: " + tc.Refusal(scheme) + "\n"
			switch {
			case udpFlag && strings.TrimSpace(args[1]) != args[1]:
				want = "vartadump: -udp HOST:PORT: the value has white space around it; remove it\n"
			case udpFlag && strings.Contains(tc.Host, ":") && !strings.HasPrefix(tc.Host, "["):
				want = "vartadump: -udp HOST:PORT: one ':' stands between HOST and PORT, and an IPv6 address goes in brackets: -udp [::1]:9000, or -udp [::]:9000 for every address\n"
			case udpFlag:
				want = "vartadump: -udp HOST:PORT: " + strings.TrimPrefix(tc.Refusal("-udp"), "varta: ") + "\n"
			case wildcard:
				want += "to listen on every address, give -udp 0.0.0.0:PORT (IPv4) or -udp [::]:PORT; a target names where agents send, which no wildcard can be\n"
			}
			refuses(t, args, "", want)
		}
	}
}

// -udp also takes port 0, a port the kernel picks, which no target names.
func TestDumpListensOnAPortTheKernelPicksOnlyWithUDPFlag(t *testing.T) {
	for _, hostport := range []string{"127.0.0.1:0", "[::1]:0", "0.0.0.0:0", "[::]:0", "localhost:0", "127.0.0.1:00"} {
		if cfg, err := configOf([]string{"-udp", hostport}, ""); err != nil || cfg.at.Port != 0 {
			t.Errorf("-udp %s: %+v, %v; want port 0", hostport, cfg.at, err)
		}
	}
}

// -udp is checked as what it is, HOST:PORT: its refusals speak of -udp
// values, never of targets, and never quote a part of the value that the
// user did not write as such.
func TestDumpRefusesUDPFlagValuesInItsOwnTerms(t *testing.T) {
	const brackets = "one ':' stands between HOST and PORT, and an IPv6 address goes in brackets: -udp [::1]:9000, or -udp [::]:9000 for every address"
	for _, tc := range []struct{ value, want string }{
		{"0.0.0.0", "the port is missing: write -udp 0.0.0.0:9000, or -udp 0.0.0.0:0 for a port the kernel picks"},
		{"[::]", "the port is missing: write -udp [::]:9000, or -udp [::]:0 for a port the kernel picks"},
		{"127.0.0.1:", "the port is missing: write -udp 127.0.0.1:9000, or -udp 127.0.0.1:0 for a port the kernel picks"},
		{"::", brackets},
		{"::9000", brackets},
		{"::1:9000", brackets},
		{"127.0.0.1:9000:9000", brackets},
		{"[fe80::1]:9000", `invalid observer address: "[fe80::1]" is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in -udp [fe80::1%eth0]:port`},
		{"127.0.0.1:9000 ", "the value has white space around it; remove it"},
		{" 127.0.0.1:9000", "the value has white space around it; remove it"},
		{"user@127.0.0.1:9000", "a host has no '@', '/' or '?': give an IP address or a name, such as -udp 127.0.0.1:9000"},
		{"obs/x:9000", "a host has no '@', '/' or '?': give an IP address or a name, such as -udp 127.0.0.1:9000"},
		{"obs?x:9000", "a host has no '@', '/' or '?': give an IP address or a name, such as -udp 127.0.0.1:9000"},
		{"[::1", "the IPv6 address has no closing ']'"},
		{"[::1]9000", "']' must be followed by :PORT, as in -udp [::1]:9000"},
		{"127.0.0.1:x", "the port must be a decimal number in 0..65535 (0: the kernel picks one)"},
		{"127.0.0.1:+9", "the port must be a decimal number in 0..65535 (0: the kernel picks one)"},
		{"[::]:65536", "the port must be a decimal number in 0..65535 (0: the kernel picks one)"},
		{"127.0.0.1:000009", "the port must be a decimal number in 0..65535 (0: the kernel picks one)"},
	} {
		stderr := refuses(t, []string{"-udp", tc.value}, "", "vartadump: -udp HOST:PORT: "+tc.want+"\n")
		for _, never := range []string{"udp://", "target", "127.0.0.1:1", "pass the port separately"} {
			if strings.Contains(stderr, never) && !strings.Contains(tc.value, never) {
				t.Errorf("-udp %q: %q speaks of %q", tc.value, stderr, never)
			}
		}
	}
}

// A flag given with an empty value, as an unset shell variable gives it,
// is a usage error: vartadump does not fall back to VARTA_OBSERVER, which
// would listen somewhere else than the command line asked.
func TestDumpRefusesAnEmptyFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-udp", ""}, "vartadump: -udp is empty (an unset shell variable?): give -udp HOST:PORT, or leave the flag out\n"},
		{[]string{"-uds", ""}, "vartadump: -uds is empty (an unset shell variable?): give -uds PATH, or leave the flag out\n"},
		{[]string{"-uds=", "-json"}, "vartadump: -uds is empty (an unset shell variable?): give -uds PATH, or leave the flag out\n"},
		// An empty key flag would otherwise listen for plain frames.
		{[]string{"-udp", "127.0.0.1:0", "-key", ""}, "vartadump: -key is empty (an unset shell variable?): give -key FILE, or leave the flag out\n"},
		{[]string{"-master-key=", "-udp", "127.0.0.1:0"}, "vartadump: -master-key is empty (an unset shell variable?): give -master-key FILE, or leave the flag out\n"},
	} {
		refuses(t, tc.args, "unix:///tmp/varta-env.sock", tc.want)
	}
}

// vartadump joins no multicast group, and net.ListenUDP given a multicast
// address listens on every address of its family: a target or -udp that
// names one is refused, with what to give instead, in the terms of where
// it was named.
func TestDumpRefusesToListenOnAMulticastAddress(t *testing.T) {
	const (
		target4 = ", and vartadump joins no multicast group (it would listen on every address instead): name an address of this host in the target, such as 127.0.0.1, or give -udp 0.0.0.0:9000 to listen on every address\n"
		target6 = ", and vartadump joins no multicast group (it would listen on every address instead): name an address of this host in the target, such as [::1], or give -udp [::]:9000 to listen on every address\n"
	)
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"udp://224.0.0.1:9000"}, "", "vartadump: 224.0.0.1 is a multicast address" + target4},
		{[]string{"udp://[ff05::1]:9000"}, "", "vartadump: ff05::1 is a multicast address" + target6},
		{[]string{"udp://[ff02::1%lo]:9000"}, "", "vartadump: ff02::1%lo is a multicast address" + target6},
		{nil, "udp://239.1.2.3:9000", "vartadump: VARTA_OBSERVER: 239.1.2.3 is a multicast address" + target4},
		{[]string{"-udp", "224.0.0.1:9000"}, "", "vartadump: -udp HOST:PORT: 224.0.0.1 is a multicast address, and vartadump joins no multicast group (it would listen on every address instead): give an address of this host, such as -udp 127.0.0.1:9000, or -udp 0.0.0.0:9000 to listen on every address\n"},
		{[]string{"-udp", "[ff05::1]:0"}, "", "vartadump: -udp HOST:PORT: ff05::1 is a multicast address, and vartadump joins no multicast group (it would listen on every address instead): give an address of this host, such as -udp [::1]:0, or -udp [::]:0 to listen on every address\n"},
	} {
		refuses(t, tc.args, tc.env, tc.want)
	}
}
