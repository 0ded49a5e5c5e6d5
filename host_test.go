package varta

// Proves that there is one host grammar: every host goes through
// ParseTarget, ConnectTo and (with -tags udp) ConnectUDP, and each one
// accepts what the others accept and refuses what they refuse, in the same
// words; and that the grammar reads IP literals as net/netip does.

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/varta-go/varta/internal/hostcases"
)

// TestHostGrammarIsOneAcrossEntryPoints runs hostcases.Cases through
// ParseTarget and ConnectTo, as the HOST of udp:// and secureudp://
// targets, and through ConnectUDP where the build has it (vartadump's
// tests run the same list through its target and -udp). A host one of them refuses,
// every one refuses with the same words (the example of a zone aside,
// written as each entry point takes a host), matching ErrInvalidAddress,
// and for targets ErrInvalidTarget too. A host the grammar accepts,
// ParseTarget returns without its brackets, and ConnectTo hands that to
// ConnectUDP, so the two end alike: connected, or refused with the same
// error for what only a connect finds out (a zone naming no interface of
// this host, a name that does not resolve). No name is looked up.
func TestHostGrammarIsOneAcrossEntryPoints(t *testing.T) {
	connectUDP := udpEntryPoint(t)
	closed := func(v *Varta, err error) error {
		if v != nil {
			v.Close()
		}
		return err
	}
	for _, tc := range hostcases.Cases {
		for _, scheme := range []string{"udp", "secureudp"} {
			target := scheme + "://" + tc.Host + ":9"
			if scheme == "secureudp" {
				target += "?keyfile=/nonexistent/varta.key"
			}
			got, err := ParseTarget(target)
			if tc.Want == "" {
				if host := strings.TrimSuffix(strings.TrimPrefix(tc.Host, "["), "]"); err != nil || got.Host != host || got.Port != 9 {
					t.Errorf("ParseTarget(%q) = %+v, %v; want host %q and port 9", target, got, err, host)
				}
				if err := closed(ConnectTo(target)); errors.Is(err, ErrInvalidTarget) {
					t.Errorf("ConnectTo(%q) refused the target: %v", target, err)
				}
				continue
			}
			want := tc.Refusal(scheme)
			if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidTarget) || !errors.Is(err, ErrInvalidAddress) {
				t.Errorf("ParseTarget(%q) = %v\nwant %q, matching ErrInvalidTarget and ErrInvalidAddress", target, err, want)
			}
			if cerr := closed(ConnectTo(target)); cerr == nil || err == nil || cerr.Error() != err.Error() {
				t.Errorf("ConnectTo(%q) = %v, want ParseTarget's %v", target, cerr, err)
			}
		}
		if connectUDP == nil {
			continue
		}
		if tc.Want == "" {
			target := "udp://" + tc.Host + ":9"
			host := strings.TrimSuffix(strings.TrimPrefix(tc.Host, "["), "]")
			err, terr := closed(connectUDP(host, 9)), closed(ConnectTo(target))
			if (err == nil) != (terr == nil) || err != nil && err.Error() != terr.Error() {
				t.Errorf("ConnectUDP(%q) = %v, but ConnectTo(%q) = %v", host, err, target, terr)
			}
			continue
		}
		err := closed(connectUDP(tc.Host, 9))
		want := tc.Refusal("")
		if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("ConnectUDP(%q) = %v\nwant %q, matching ErrInvalidAddress", tc.Host, err, want)
		}
	}
}

// FuzzIPLiteralsReadAsNetipReadsThem holds the grammar's reading of IP
// literals to net/netip's: an IPv6 address (with colons) or an IPv4 one
// (without) is accepted exactly when netip.ParseAddr accepts it as that
// family, with the same 16 bytes and zone; the grammar alone also refuses
// a zone of other characters than letters, digits, '-', '.' and '_'.
func FuzzIPLiteralsReadAsNetipReadsThem(f *testing.F) {
	for _, s := range []string{
		"::", "::1", "1::", "1::2", "::ffff:1.2.3.4", "::ffff:0.0.0.0", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
		"::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
		"1:::2", ":1::", "1::2::3", "1:2", "12345::", "fFfF::", "fe80::1%eth0", "fe80::1%", "fe80::1%a%b",
		"fe80::1%eth 0", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.",
		"1..2.3", "::1.2.3.4:5", "::01.2.3.4", "1.2.3.4::", "::ffff:1.2.3.400", ":", "", "g::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		if strings.IndexByte(s, ':') < 0 {
			v4, ok := parseIPv4(s)
			if wantOK := err == nil && want.Is4(); ok != wantOK || ok && v4 != want.As4() {
				t.Fatalf("parseIPv4(%q) = %v, %v; netip reads %v, %v", s, v4, ok, want, err)
			}
			return
		}
		ip, ok := parseIPv6(s)
		wantOK := err == nil && want.Is6() && (want.Zone() == "" || isNameText(want.Zone()))
		if ok != wantOK || ok && (ip.b != want.As16() || ip.zone != want.Zone()) {
			t.Fatalf("parseIPv6(%q) = %v, %v; netip reads %v, %v", s, ip, ok, want, err)
		}
	})
}
