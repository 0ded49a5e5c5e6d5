//go:build udp || secureudp

package varta

// Proves that udp:// targets reach a loopback observer and check the host
// as ConnectUDP does, names with '_' included.

import (
	"errors"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/varta-go/varta/internal/hostcases"
)

func TestConnectToUDPBeatsReachALoopbackObserver(t *testing.T) {
	for _, tc := range []struct{ listen, host string }{
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "[::1]"},
		{"127.0.0.1", "localhost"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			listenIP := tc.listen
			if tc.host == "localhost" {
				ep, _, err := resolveUDP("localhost", 9)
				if err != nil {
					t.Fatal(err)
				}
				listenIP = ep.addr.Addr().String()
			}
			r, port := listenUDP(t, listenIP)
			t.Setenv(ObserverEnv, "udp://"+tc.host+":"+strconv.Itoa(port))
			v, err := ConnectFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			for i := uint64(1); i <= 3; i++ {
				if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
					t.Fatalf("beat %d: %v", i, out)
				}
				if f := r.recvFrame(); f.Nonce != i || f.PID != uint32(os.Getpid()) {
					t.Fatalf("beat %d arrived as %+v", i, f)
				}
			}
		})
	}
}

// TestConnectToUDPChecksTheHostAsConnectUDPDoes shows that a host the
// grammar lets through is judged by ConnectUDP's own checks.
func TestConnectToUDPChecksTheHostAsConnectUDPDoes(t *testing.T) {
	for _, target := range []string{"udp://0.0.0.0:9000", "udp://[::]:9000", "udp://[1:2:3]:9000"} {
		_, want := ConnectUDP(target[len("udp://"):len(target)-len(":9000")], 9000)
		if want == nil {
			t.Fatalf("ConnectUDP accepted the host of %q", target)
		}
		if _, err := ConnectTo(target); !errors.Is(err, ErrInvalidAddress) || err.Error() != want.Error() {
			t.Errorf("ConnectTo(%q) = %v, want ConnectUDP's %v", target, err, want)
		}
	}
}

// udpEntryPoint returns ConnectUDP, for the host grammar test, with name
// lookups failing at once for the rest of the test.
func udpEntryPoint(t *testing.T) func(host string, port int) (*Varta, error) {
	forbidLookups(t)
	return ConnectUDP
}

// TestUnderscoreNamesReachTheResolver shows that names with '_', such as
// container service names, are hosts: ConnectUDP and ConnectTo hand them
// to the resolver instead of refusing them.
func TestUnderscoreNamesReachTheResolver(t *testing.T) {
	lookups := forbidLookups(t)
	for _, name := range []string{"my_host", "varta_watch"} {
		for _, connect := range []func() error{
			func() error { _, err := ConnectUDP(name, 9000); return err },
			func() error { _, err := ConnectTo("udp://" + name + ":9000"); return err },
		} {
			before := lookups.Load()
			var dnsErr *net.DNSError
			if err := connect(); !errors.As(err, &dnsErr) || errors.Is(err, ErrInvalidAddress) || lookups.Load() == before {
				t.Errorf("%s: %v after %d lookups; want the resolver asked, and its error", name, err, lookups.Load()-before)
			}
		}
	}
}

// udpEchoCases are the calls of TestNoErrorRepeatsAKey that this build
// adds: ConnectUDP given a key as its host, in labels, as a zone, and as
// half of a name it looks up (the lookup fails at once).
func udpEchoCases(t *testing.T) []echoCase {
	forbidLookups(t)
	key := hostcases.Key
	connect := func(host string) func() error {
		return func() error { return closeAgent(ConnectUDP(host, 9)) }
	}
	return []echoCase{
		{"ConnectUDP host", connect(key), "the host looks like a key"},
		{"ConnectUDP host in labels", connect(key[:32] + "." + key[32:]), "the host looks like a key"},
		{"ConnectUDP host in a name", connect("x" + key), "the host looks like a key"},
		{"ConnectUDP half a key in a name", connect(key[:32] + ".example"), "resolve observer host (redacted): "},
		{"ConnectUDP zone", connect("fe80::1%" + key), "the host looks like a key"},
		{"ConnectUDP zone of half a key", connect("fe80::1%" + key[:32]), "(redacted): zone (redacted) names no interface"},
		{"ConnectTo zone", func() error { return closeAgent(ConnectTo("udp://[fe80::1%" + key + "]:9")) }, "the host looks like a key"},
		{"ConnectTo zone of half a key", func() error { return closeAgent(ConnectTo("udp://[fe80::1%" + key[:32] + "]:9")) }, "zone (redacted) names no interface"},
		{"ConnectUDP host in labels with a suffix", connect(key[:32] + "." + key[32:] + ".corp"), "the host looks like a key"},
	}
}
