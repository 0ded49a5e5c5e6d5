//go:build unix

package varta

import (
	"strings"

	"github.com/varta-go/varta/internal/redact"
)

// parseHost checks host against the one host grammar of the package,
// which "UDP and hosts" in the package documentation states. For an IP literal it returns the address
// and literal true; for a name, which is the resolver's to look up,
// literal false. It makes no system call.
//
// scheme is that of the target the host was written in ("udp" or
// "secureudp"), or "" for ConnectUDP's host argument. It decides the two
// things that differ: a target needs brackets around an IPv6 address
// (udp://[::1]:9000), and an error shows the fix in the form the host was
// written in. A host refused one way is refused the other way for the same
// reason, in words that differ only in the fix they show.
func parseHost(host, scheme string) (ip ipAddr, literal bool, err error) {
	switch {
	case host == "" || host == "[]":
		return ip, false, invalidAddress("the host is empty")
	case looksLikeKey(host):
		return ip, false, invalidAddress("the host looks like a key (it holds 64 hexadecimal characters), not a name or an address: name the observer's host, and keep keys in key files")
	case host[0] == '[':
		if host[len(host)-1] != ']' {
			return ip, false, invalidAddress(redact.Quote(host) + " has an unclosed bracket, or text after it: write an IPv6 address as \"[::1]\" or \"::1\", without a port")
		}
		ip, ok := parseIPv6(host[1 : len(host)-1])
		if !ok {
			return ip, false, invalidAddress(redact.Quote(host) + ": brackets hold only an IPv6 address, with an optional %zone: write an IPv4 address or a name without them")
		}
		return ip, true, checkHostAddr(host, ip, scheme)
	case strings.IndexByte(host, ':') >= 0: // only an IPv6 address has colons
		ip, ok := parseIPv6(host)
		switch {
		case !ok && scheme == "":
			return ip, false, invalidAddress(redact.Quote(host) + " is not a valid IP address (pass the port separately)")
		case !ok:
			return ip, false, invalidAddress(redact.Quote(host) + " is not a valid IP address: a target has one port, after the host, and an IPv6 address goes in brackets: " + scheme + "://[::1]:port")
		case scheme != "":
			return ip, false, needsBrackets(host, scheme)
		}
		return ip, true, checkHostAddr(host, ip, scheme)
	case isDottedDecimal(host):
		v4, ok := parseIPv4(host)
		if !ok {
			return ip, false, invalidAddress(redact.Quote(host) + " is not a valid IPv4 address: four numbers 0..255 separated by dots")
		}
		ip = ipv4Mapped(v4)
		return ip, true, checkHostAddr(host, ip, scheme)
	case !isDNSName(host):
		return ip, false, invalidAddress(redact.Quote(host) + " is not a valid IP address or DNS name (letters, digits, hyphens and underscores in dot-separated labels of 1 to 63 characters)")
	}
	return ip, false, nil
}

// looksLikeKey reports whether host is obviously a key, not a host: it
// holds the 64 hexadecimal characters of a key in text form, digits and
// letters among them, in one run that dots may split into labels short
// enough for a name. A key split so, with or without other labels around
// it ("<32 hex>.<32 hex>.corp"), would otherwise go out as a DNS query.
// A name of one-letter labels ("a.b.c...") is not a key.
func looksLikeKey(host string) bool {
	run, digits := 0, 0
	for i := range len(host) {
		c := host[i]
		switch _, ok := hexDigit(c); {
		case ok:
			run++
			if c <= '9' {
				digits++
			}
			if run >= 64 && digits > 0 && digits < run {
				return true
			}
		case c != '.':
			run, digits = 0, 0
		}
	}
	return false
}

// needsBrackets refuses the IPv6 address host, written without brackets in
// a target of scheme.
func needsBrackets(host, scheme string) error {
	return invalidAddress("an IPv6 address goes in brackets: " + scheme + "://[" + redact.Value(host) + "]:port")
}

// checkHostAddr refuses ip, the address host names (written, or resolved
// from a name), when no observer can be reached at it: the unspecified
// address, and an IPv6 address of one link or interface without a zone.
func checkHostAddr(host string, ip ipAddr, scheme string) error {
	switch {
	case ip.isUnspecified():
		return invalidAddress(redact.Quote(host) + " is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)")
	case ip.zoneScope() != "" && strings.Trim(ip.zone, "0") == "": // no zone, or index 0
		example := `"fe80::1%eth0"`
		if scheme != "" {
			example = scheme + "://[fe80::1%eth0]:port"
		}
		return invalidAddress(redact.Quote(host) + " is " + ip.zoneScope() + " IPv6 address, which is ambiguous without a zone: name the interface, as in " + example)
	}
	return nil
}

// ipAddr is an IP address the host grammar read: 16 bytes, an IPv4
// address in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), and an IPv6
// address's zone (an interface name or index), "" if none.
//
// The grammar reads IP literals itself rather than with net/netip, which
// reads them the same way (a fuzz test holds the two to it): importing
// net/netip links its package initialisation into every program, which
// would add about 70 kB, two thirds, to the default build (past its size
// budget), and that build reaches no IP address.
type ipAddr struct {
	b    [16]byte
	zone string
}

// v4InV6Prefix is the first 12 bytes of an IPv4-mapped IPv6 address.
var v4InV6Prefix = [12]byte{10: 0xff, 11: 0xff}

// ipv4Mapped returns the IPv4 address v4 in its IPv4-mapped form.
func ipv4Mapped(v4 [4]byte) ipAddr {
	var ip ipAddr
	copy(ip.b[:], v4InV6Prefix[:])
	copy(ip.b[len(v4InV6Prefix):], v4[:])
	return ip
}

// is4 reports whether ip is an IPv4 address (in its IPv4-mapped form).
func (ip ipAddr) is4() bool { return [12]byte(ip.b[:12]) == v4InV6Prefix }

// isUnspecified reports whether ip is 0.0.0.0 or ::.
func (ip ipAddr) isUnspecified() bool {
	return ip.b == [16]byte{} || ip.is4() && [4]byte(ip.b[12:]) == [4]byte{}
}

// zoneScope names the scope of ip, with its article, when it is one link
// or interface, which the kernel cannot route to without a zone:
// link-local unicast (fe80::/10), link-local multicast (ffx2::/16) and
// interface-local multicast (ffx1::/16). It returns "" for any other
// address.
func (ip ipAddr) zoneScope() string {
	switch {
	case ip.b[0] == 0xfe && ip.b[1]&0xc0 == 0x80:
		return "a link-local"
	case ip.b[0] == 0xff && ip.b[1]&0x0f == 0x02:
		return "a link-local multicast"
	case ip.b[0] == 0xff && ip.b[1]&0x0f == 0x01:
		return "an interface-local multicast"
	}
	return ""
}

// parseIPv6 reads s as an IPv6 address with an optional %zone of letters,
// digits, '-', '.' and '_': eight groups of 1 to 4 hexadecimal digits
// separated by colons, where one "::" stands for one or more groups of
// zeros and a dotted IPv4 address may stand for the last two groups.
func parseIPv6(s string) (ip ipAddr, ok bool) {
	s, zone, hasZone := strings.Cut(s, "%")
	if hasZone && (zone == "" || !isNameText(zone)) {
		return ip, false
	}
	ip.zone = zone
	front, back, ellipsis := strings.Cut(s, "::")
	if !ellipsis {
		n, ok := putGroups(ip.b[:], s, true)
		return ip, ok && n == len(ip.b)
	}
	var tail [16]byte
	n, ok := putGroups(ip.b[:], front, false)
	m, ok2 := putGroups(tail[:], back, true)
	if !ok || !ok2 || n+m > len(ip.b)-2 { // "::" stands for at least one group
		return ip, false
	}
	copy(ip.b[len(ip.b)-m:], tail[:m])
	return ip, true
}

// putGroups writes the colon-separated groups of s to b, in order, and
// returns how many bytes they took: 2 for a group of 1 to 4 hexadecimal
// digits and, when last is set, 4 for a dotted IPv4 address as the final
// group. An empty s writes nothing.
func putGroups(b []byte, s string, last bool) (int, bool) {
	if s == "" {
		return 0, true
	}
	n := 0
	for {
		group, rest, more := strings.Cut(s, ":")
		if !more && last && strings.IndexByte(group, '.') >= 0 {
			v4, ok := parseIPv4(group)
			if !ok || n+len(v4) > len(b) {
				return 0, false
			}
			return n + copy(b[n:], v4[:]), true
		}
		if len(group) == 0 || len(group) > 4 || n+2 > len(b) {
			return 0, false
		}
		var v uint16
		for i := range len(group) {
			d, ok := hexDigit(group[i])
			if !ok {
				return 0, false
			}
			v = v<<4 | uint16(d)
		}
		b[n], b[n+1] = byte(v>>8), byte(v)
		n += 2
		if !more {
			return n, true
		}
		s = rest
	}
}

// hexDigit returns the value of the hexadecimal digit c, and whether c is
// one.
func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseIPv4 reads s as an IPv4 address in dotted decimal: four numbers
// 0..255, each written without leading zeros.
func parseIPv4(s string) (v4 [4]byte, ok bool) {
	for i := range v4 {
		field, rest, more := strings.Cut(s, ".")
		if more != (i < len(v4)-1) || field == "" || len(field) > 3 || len(field) > 1 && field[0] == '0' {
			return v4, false
		}
		n := 0
		for j := range len(field) {
			if field[j] < '0' || field[j] > '9' {
				return v4, false
			}
			n = n*10 + int(field[j]-'0')
		}
		if n > 255 {
			return v4, false
		}
		v4[i], s = byte(n), rest
	}
	return v4, true
}

// isDottedDecimal reports whether s holds only digits and dots, as an IPv4
// address does: such a host is an IPv4 address or a mistake, never a name.
func isDottedDecimal(s string) bool {
	for i := range len(s) {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isDNSName reports whether s is a host name of labels of 1 to 63
// letters, digits, hyphens or underscores, not starting or ending with a
// hyphen, separated by dots, at most 253 characters in all, with an
// optional final dot. Underscores, which RFC 1123 leaves out, name real
// hosts: container service names such as varta_watch.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' || !isNameText(label) {
			return false
		}
	}
	return true
}

// isNameText reports whether s is made of letters, digits, '-', '.' and
// '_'.
func isNameText(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// invalidAddress returns an error matching ErrInvalidAddress that says why.
func invalidAddress(why string) error {
	return &textError{msg: ErrInvalidAddress.Error() + ": " + why, err: ErrInvalidAddress}
}
