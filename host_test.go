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
)

// hostCases is the one list of hosts that every entry point taking a host
// is run through. A host is written as ConnectUDP takes it and as it stands
// in a target (an IPv6 address in brackets, which both accept). want is ""
// for a host the grammar accepts, or the words of the refusal after
// "varta: invalid observer address: ", where {fix} stands for the example
// that differs by entry point: "fe80::1%eth0" for ConnectUDP,
// udp://[fe80::1%eth0]:port for a udp:// target.
var hostCases = []struct{ host, want string }{
	// Accepted.
	{"127.0.0.1", ""},
	{"127.1.2.3", ""},
	{"[::1]", ""},
	{"[2001:db8::1]", ""},
	{"[fe80::1%1]", ""},
	{"[fe80::1%eth0]", ""},
	{"[fe80::1%br-1a2b.10]", ""},
	{"[::ffff:127.0.0.1]", ""},
	{"localhost", ""},
	{"observer.internal", ""},
	{"observer.internal.", ""},
	{"OBS-1.internal", ""},
	{"my_host", ""},
	{"varta_watch", ""},
	{"_service._udp.example", ""},
	{strings.Repeat("a", 63) + ".example", ""},
	{strings.Repeat("a.", 126) + "a", ""},

	// Empty, spaces and stray characters.
	{"", "the host is empty"},
	{"[]", "the host is empty"},
	{" 127.0.0.1", `" 127.0.0.1" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"127.0.0.1 ", `"127.0.0.1 " is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"my host", `"my host" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"obs%eth0", `"obs%eth0" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"127.0.0.1%lo", `"127.0.0.1%lo" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},

	// Names.
	{strings.Repeat("a", 64) + ".example", `"` + strings.Repeat("a", 64) + `.example" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{strings.Repeat("a.", 127) + "a", `"` + strings.Repeat("a.", 127) + `a" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"observer..internal", `"observer..internal" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"-observer.internal", `"-observer.internal" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"observer-.internal", `"observer-.internal" is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},

	// IPv4.
	{"256.1.1.1", `"256.1.1.1" is not a valid IPv4 address: four numbers 0..255 separated by dots`},
	{"1.2.3", `"1.2.3" is not a valid IPv4 address: four numbers 0..255 separated by dots`},
	{"127.0.0.1.", `"127.0.0.1." is not a valid IPv4 address: four numbers 0..255 separated by dots`},
	{".", `"." is not a valid IPv4 address: four numbers 0..255 separated by dots`},
	{"0.0.0.0", `"0.0.0.0" is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)`},

	// IPv6, brackets and zones.
	{"[::]", `"[::]" is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)`},
	{"[::ffff:0.0.0.0]", `"[::ffff:0.0.0.0]" is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)`},
	{"[localhost]", `"[localhost]": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them`},
	{"[127.0.0.1]", `"[127.0.0.1]": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them`},
	{"[1:2:3]", `"[1:2:3]": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them`},
	{"[fe80::1%]", `"[fe80::1%]": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them`},
	{"[fe80::1%eth 0]", `"[fe80::1%eth 0]": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them`},
	{"[fe80::1]", `"[fe80::1]" is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},
	{"[fe80::1%0]", `"[fe80::1%0]" is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},
	{"[ff02::1]", `"[ff02::1]" is a link-local IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},

	// A port where the host goes.
	{"127.0.0.1:9000", `"127.0.0.1:9000" is not a valid IP address (pass the port separately)`},
	{"1:2:x", `"1:2:x" is not a valid IP address (pass the port separately)`},
}

// TestHostGrammarIsOneAcrossEntryPoints runs hostCases through ParseTarget
// and ConnectTo, as the HOST of udp:// and secureudp:// targets, and
// through ConnectUDP where the build has it. A host one of them refuses,
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
	for _, tc := range hostCases {
		for _, scheme := range []string{"udp", "secureudp"} {
			target := scheme + "://" + tc.host + ":9"
			if scheme == "secureudp" {
				target += "?keyfile=/nonexistent/varta.key"
			}
			got, err := ParseTarget(target)
			if tc.want == "" {
				if host := strings.TrimSuffix(strings.TrimPrefix(tc.host, "["), "]"); err != nil || got.Host != host || got.Port != 9 {
					t.Errorf("ParseTarget(%q) = %+v, %v; want host %q and port 9", target, got, err, host)
				}
				if err := closed(ConnectTo(target)); errors.Is(err, ErrInvalidTarget) {
					t.Errorf("ConnectTo(%q) refused the target: %v", target, err)
				}
				continue
			}
			want := "varta: invalid observer address: " + strings.ReplaceAll(tc.want, "{fix}", scheme+"://[fe80::1%eth0]:port")
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
		if tc.want == "" {
			target := "udp://" + tc.host + ":9"
			host := strings.TrimSuffix(strings.TrimPrefix(tc.host, "["), "]")
			err, terr := closed(connectUDP(host, 9)), closed(ConnectTo(target))
			if (err == nil) != (terr == nil) || err != nil && err.Error() != terr.Error() {
				t.Errorf("ConnectUDP(%q) = %v, but ConnectTo(%q) = %v", host, err, target, terr)
			}
			continue
		}
		err := closed(connectUDP(tc.host, 9))
		want := "varta: invalid observer address: " + strings.ReplaceAll(tc.want, "{fix}", `"fe80::1%eth0"`)
		if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("ConnectUDP(%q) = %v\nwant %q, matching ErrInvalidAddress", tc.host, err, want)
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
