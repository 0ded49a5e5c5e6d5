// Package hostcases holds the one list of hosts that the tests of every
// entry point taking a host run through: ParseTarget, ConnectTo and
// ConnectUDP in package varta, and vartadump's target argument and -udp.
// Only tests import it.
package hostcases

import "strings"

// Case is a host, written as ConnectUDP takes it and as it stands in a
// target (an IPv6 address in brackets, which both accept), and the words
// of its refusal after "varta: invalid observer address: ", or "" for a
// host the grammar accepts. In Want, {fix} stands for the example of a
// zone and {colon} for the advice about a ':' that makes no IP address,
// which differ by where the host is written (see Refusal).
type Case struct{ Host, Want string }

// Refusal returns the whole error text of a refused host written for
// scheme: "" for ConnectUDP's argument, "udp" or "secureudp" for the HOST
// of a target, and "-udp" for vartadump's -udp HOST:PORT (after its
// prefix), whose values never have a ':' the {colon} advice is about.
func (c Case) Refusal(scheme string) string {
	fix, colon := `"fe80::1%eth0"`, " (pass the port separately)"
	switch scheme {
	case "":
	case "-udp":
		fix = "-udp [fe80::1%eth0]:port"
	default:
		fix = scheme + "://[fe80::1%eth0]:port"
		colon = ": a target has one port, after the host, and an IPv6 address goes in brackets: " + scheme + "://[::1]:port"
	}
	return "varta: invalid observer address: " + strings.NewReplacer("{fix}", fix, "{colon}", colon).Replace(c.Want)
}

// Key is a key in text form, 64 hexadecimal characters, that the tests
// give where a value belongs, to check that no error repeats it.
const Key = "8f3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a"

// keyRefusal is the refusal of a host that is a key.
const keyRefusal = "the host looks like a key (it holds 64 hexadecimal characters), not a name or an address: name the observer's host, and keep keys in key files"

// Cases is the list.
var Cases = []Case{
	// Accepted.
	{"127.0.0.1", ""},
	{"127.1.2.3", ""},
	{"[::1]", ""},
	{"[2001:db8::1]", ""},
	{"[fe80::1%1]", ""},
	{"[fe80::1%eth0]", ""},
	{"[fe80::1%br-1a2b.10]", ""},
	{"[::ffff:127.0.0.1]", ""},
	{"224.0.0.1", ""},   // multicast: an observer that joined the group receives the beats
	{"[ff05::1]", ""},   // site-local multicast
	{"[ff02::1%1]", ""}, // link-local multicast, with its zone
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
	{strings.Repeat("a", 64) + ".example", `(redacted) is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
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
	{"[ff02::1]", `"[ff02::1]" is a link-local multicast IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},
	{"[ff12::1]", `"[ff12::1]" is a link-local multicast IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},
	{"[ff01::1]", `"[ff01::1]" is an interface-local multicast IPv6 address, which is ambiguous without a zone: name the interface, as in {fix}`},

	// A key where the host goes: refused before any lookup, never repeated.
	{Key, keyRefusal},
	{strings.ToUpper(Key), keyRefusal},
	{Key + ".", keyRefusal},
	{Key[:32] + "." + Key[32:], keyRefusal},
	{Key[:16] + "." + Key[16:32] + "." + Key[32:48] + "." + Key[48:], keyRefusal},
	{Key[:32] + "." + Key[32:] + ".corp", keyRefusal},
	{"observer." + Key[:40] + "." + Key[40:] + ".example", keyRefusal},
	{Key[:32] + ".example", ""},                // a name, which may hold half a key: looked up, and redacted in errors
	{Key[:32] + "." + Key[32:63] + ".org", ""}, // 63 of a key's 64 characters: a name, redacted in errors
	{"[" + Key + "]", keyRefusal},
	{Key + ".example", keyRefusal},
	{"obs " + Key[:32], `(redacted) is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)`},
	{"[fe80::1%" + Key + "]", keyRefusal},
	{"[fe80::1%" + Key[:32] + "]", ""}, // a zone the grammar takes: no interface has that name, and the error says so without repeating it

	// A port where the host goes.
	{"127.0.0.1:9000", `"127.0.0.1:9000" is not a valid IP address{colon}`},
	{"1:2:x", `"1:2:x" is not a valid IP address{colon}`},
}
