//go:build unix

package varta

import (
	"os"
	"strconv"
	"strings"

	"github.com/varta-go/varta/internal/redact"
)

// ObserverEnv is the environment variable ConnectFromEnv reads: the
// observer's target string, as ConnectTo takes it.
const ObserverEnv = "VARTA_OBSERVER"

// ConnectTo returns an agent for the observer that target names, over the
// transport it names, such as "unix:///run/varta/observer.sock" or
// "udp://127.0.0.1:9000", so that whoever deploys a daemon chooses where its
// beats go. A target that breaks the grammar fails with an error matching
// [ErrInvalidTarget], one whose transport the program was built without with
// [ErrTransportNotBuilt]; otherwise ConnectTo returns what the constructor
// the target names returns. See "Choosing the observer at run time" in the
// package documentation.
func ConnectTo(target string) (*Varta, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	switch t.Scheme {
	case "udp":
		return connectUDPTarget(t) // udp_tag.go, or udp_notbuilt.go
	case "secureudp":
		return connectSecureTarget(t) // secureudp_tag.go, or secureudp_notbuilt.go
	}
	return Connect(t.Path)
}

// ConnectFromEnv is ConnectTo with the target in the environment variable
// VARTA_OBSERVER (ObserverEnv), for example
// VARTA_OBSERVER=unix:///run/varta/observer.sock. An unset or empty
// variable fails with an error matching ErrInvalidTarget that names the
// variable; other errors are ConnectTo's, their message prefixed with the
// variable's name.
func ConnectFromEnv() (*Varta, error) {
	target := os.Getenv(ObserverEnv)
	if target == "" {
		return nil, &textError{
			msg: "varta: " + ObserverEnv + " is unset or empty: set it to the observer's target, one this build can reach (" + builtForms + "), such as " + ObserverEnv + "=unix:///run/varta/observer.sock",
			err: ErrInvalidTarget,
		}
	}
	v, err := ConnectTo(target)
	if err != nil {
		return nil, &textError{msg: "varta: " + ObserverEnv + ": " + strings.TrimPrefix(err.Error(), "varta: "), err: err}
	}
	return v, nil
}

// Target is an observer target string taken apart: the transport it
// names, and the arguments of the constructor ConnectTo calls for it.
// ParseTarget returns it; programs that bind an observer (a dump tool, a
// test observer) read the same strings as agents through it.
type Target struct {
	// Scheme names the transport: "unix", "udp" or "secureudp". A bare
	// absolute path has the scheme "unix".
	Scheme string
	// Path is the socket of a unix target: an absolute path, or '@' and
	// an abstract name (Linux).
	Path string
	// Host is the observer of a udp or secureudp target as ConnectUDP
	// takes it: a name, an IPv4 address, or an IPv6 address without its
	// brackets, with its %zone if it has one.
	Host string
	// Port is the observer's port of a udp or secureudp target, in
	// 1..65535.
	Port int
	// KeyFile is the absolute path of a secureudp target's key file, which
	// holds a shared key, or a master key when Master is set.
	KeyFile string
	Master  bool
}

// builtForms lists the target forms this build reaches, for the errors
// that say what to give instead: the tagged files supply their parts
// (udpForms, secureForms), so the compiler keeps it true in every build.
const builtForms = "unix:///absolute/path" + udpForms + secureForms

// targetForms lists the forms of a target for error messages.
const targetForms = "unix:///absolute/path, /absolute/path, unix:@name (Linux), udp://host:port or secureudp://host:port?keyfile=/absolute/path"

// invalidTarget returns an error matching ErrInvalidTarget that says what
// is wrong.
func invalidTarget(what string) error {
	return &textError{msg: "varta: invalid observer target: " + what, err: ErrInvalidTarget}
}

// ParseTarget checks a target string against the grammar of ConnectTo (see
// "Choosing the observer at run time" in the package documentation) and
// returns its parts, in every build and without connecting: it makes no
// system call and looks up no name. A string that breaks the grammar gives
// an error matching [ErrInvalidTarget], and one matching [ErrInvalidAddress]
// too when its host breaks the host grammar, or [ErrInvalidPath] when its
// path is one Connect refuses (in Connect's words).
func ParseTarget(s string) (Target, error) {
	if s == "" {
		return Target{}, invalidTarget("the target is empty; write " + targetForms)
	}
	if strings.TrimSpace(s) != s {
		return Target{}, invalidTarget("the target has white space around it; remove it")
	}
	if s[0] == '/' {
		return unixTarget(s)
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return Target{}, invalidTarget("no scheme, and not an absolute path; write " + targetForms)
	}
	scheme, rest := s[:colon], s[colon+1:]
	switch scheme {
	case "unix":
		return parseUnixTarget(rest)
	case "udp", "secureudp":
		if !strings.HasPrefix(rest, "//") {
			return Target{}, invalidTarget("write " + scheme + "://host:port")
		}
		return parseNetTarget(scheme, rest[2:])
	}
	return Target{}, invalidTarget("unknown scheme" + quoteName(scheme) + "; the schemes are unix, udp and secureudp (lower case); write " + targetForms)
}

// parseUnixTarget parses what follows "unix:".
func parseUnixTarget(rest string) (Target, error) {
	switch {
	case strings.HasPrefix(rest, "@"):
		if rest == "@" {
			return Target{}, invalidTarget("unix:@ needs a name after the @")
		}
		if !abstractNames {
			return Target{}, invalidTarget(abstractOnlyOnLinux)
		}
		if strings.IndexByte(rest, '?') >= 0 {
			return Target{}, invalidTarget("a unix: target takes no parameters ('?')")
		}
		return unixTarget(rest)
	case strings.HasPrefix(rest, "//"):
		path := rest[2:]
		if strings.HasPrefix(path, "@") {
			if !abstractNames {
				return Target{}, invalidTarget(abstractOnlyOnLinux)
			}
			return Target{}, invalidTarget("an abstract socket name follows unix: with no slashes: write unix:@name (unix:// is followed by an absolute path, as in unix:///run/varta/observer.sock)")
		}
		if !strings.HasPrefix(path, "/") {
			return Target{}, invalidTarget("unix:// is followed by an absolute path, so the target starts with three slashes: unix:///run/varta/observer.sock")
		}
		if strings.IndexByte(path, '?') >= 0 {
			return Target{}, invalidTarget("a unix:// target takes no parameters ('?'); a bare absolute path is taken as it is, '?' included")
		}
		return unixTarget(path)
	}
	return Target{}, invalidTarget("write unix:///absolute/path or unix:@name")
}

// abstractOnlyOnLinux refuses an abstract name where there are none.
const abstractOnlyOnLinux = "abstract sockets (unix:@name) exist only on Linux; name a socket file with unix:///absolute/path"

// unixTarget returns the unix target of path, an absolute path or an
// abstract name, once it passes Connect's checks (socketName, which makes
// no system call for such a path); otherwise Connect's error, matching
// ErrInvalidTarget too.
func unixTarget(path string) (Target, error) {
	if _, err := socketName(path); err != nil {
		return Target{}, &textError{msg: err.Error(), err: ErrInvalidTarget, also: err}
	}
	return Target{Scheme: "unix", Path: path}, nil
}

// parseNetTarget parses what follows "udp://" or "secureudp://":
// host:port, and for secureudp the one key parameter.
func parseNetTarget(scheme, rest string) (Target, error) {
	t := Target{Scheme: scheme}
	hostport, query, hasQuery := strings.Cut(rest, "?")
	if strings.IndexByte(hostport, '#') >= 0 {
		form := scheme + "://host:port"
		if scheme == "secureudp" {
			form += "?keyfile=/absolute/path"
		}
		return Target{}, invalidTarget("a " + scheme + ":// target has no fragment ('#'): write " + form)
	}
	if strings.IndexByte(hostport, '@') >= 0 {
		// Not repeated: what stands before '@' may be a secret.
		return Target{}, invalidTarget("a " + scheme + ":// target has no user part ('@'): write " + scheme + "://host:port; keys go in key files")
	}
	if strings.IndexByte(hostport, '/') >= 0 {
		return Target{}, invalidTarget("a " + scheme + ":// target has no path after host:port")
	}
	host, port, err := splitHostPort(scheme, hostport)
	if err != nil {
		return Target{}, err
	}
	t.Host, t.Port = host, port
	if scheme == "udp" {
		if hasQuery {
			return Target{}, invalidTarget("a udp:// target takes no parameters ('?'); for keys use secureudp://host:port?keyfile=/absolute/path")
		}
		return t, nil
	}
	if !hasQuery {
		return Target{}, invalidTarget("secureudp:// needs a key file: add ?keyfile=/absolute/path (shared key) or ?masterkeyfile=/absolute/path (master key)")
	}
	if err := parseKeyParams(&t, query); err != nil {
		return Target{}, err
	}
	return t, nil
}

// splitHostPort splits host:port, where host is a host of ConnectUDP's
// grammar with an IPv6 address in brackets, and port is a decimal number
// in 1..65535. It returns the host without brackets, as ConnectUDP takes
// it.
func splitHostPort(scheme, hostport string) (host string, port int, err error) {
	var portText string
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", 0, invalidTarget("the IPv6 address has no closing ']'")
		}
		host = hostport[:end+1]
		if err := checkTargetHost(host, scheme); err != nil {
			return "", 0, err
		}
		after := hostport[end+1:]
		if after == "" {
			return "", 0, invalidTarget("the port is missing: write " + scheme + "://" + redact.Value(host) + ":port")
		}
		if after[0] != ':' {
			return "", 0, invalidTarget("']' must be followed by :port")
		}
		host, portText = host[1:end], after[1:]
	} else {
		colon := strings.LastIndexByte(hostport, ':')
		if colon < 0 {
			return "", 0, invalidTarget("the port is missing: write " + scheme + "://host:port")
		}
		host, portText = hostport[:colon], hostport[colon+1:]
		if ipv6WithoutPort(host, hostport) {
			// What follows the last ':' is the address's last group.
			err := needsBrackets(hostport, scheme)
			return "", 0, &textError{msg: err.Error(), err: ErrInvalidTarget, also: err}
		}
		if err := checkTargetHost(host, scheme); err != nil {
			return "", 0, err
		}
	}
	if portText == "" {
		return "", 0, invalidTarget("the port is missing after ':'")
	}
	port, ok := parsePort(portText)
	if !ok {
		return "", 0, invalidTarget("the port must be a decimal number in 1..65535")
	}
	return host, port, nil
}

// ipv6WithoutPort reports whether hostport, with no brackets, is an IPv6
// address and no port follows it: the whole is an address, and what stands
// before its last ':' is not ("2001:db8::1", "::1", "fe80::1%eth0"). In
// "::1:9000", both of which are addresses, 9000 is read as the port.
func ipv6WithoutPort(host, hostport string) bool {
	_, whole := parseIPv6(hostport)
	_, before := parseIPv6(host)
	return whole && !before
}

// checkTargetHost checks the HOST of a target against the host grammar:
// its error matches ErrInvalidTarget and, through the host's own error,
// ErrInvalidAddress, with the words ConnectUDP would use.
func checkTargetHost(host, scheme string) error {
	if _, _, err := parseHost(host, scheme); err != nil {
		return &textError{msg: err.Error(), err: ErrInvalidTarget, also: err}
	}
	return nil
}

// parsePort reads a decimal port in 1..65535, digits only.
func parsePort(s string) (int, bool) {
	if len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 1 && n <= 65535
}

// parseKeyParams reads the parameters of a secureudp:// target: exactly
// one of keyfile and masterkeyfile, with an absolute path. Values never
// appear in errors: a key pasted into the string must not reach a log.
func parseKeyParams(t *Target, query string) error {
	if query == "" {
		return invalidTarget("nothing after '?': write ?keyfile=/absolute/path or ?masterkeyfile=/absolute/path")
	}
	for i, param := range strings.Split(query, "&") {
		nth := "parameter " + strconv.Itoa(i+1)
		name, value, ok := strings.Cut(param, "=")
		if !ok {
			return invalidTarget(nth + " has no '=': write keyfile=/absolute/path or masterkeyfile=/absolute/path")
		}
		switch name {
		case "keyfile", "masterkeyfile":
		case "key", "masterkey":
			return invalidTarget("keys are never written into the target: put the key (64 hexadecimal characters) in a file and name it with " + name + "file=/absolute/path")
		default:
			return invalidTarget(nth + quoteName(name) + " is unknown; the parameters are keyfile and masterkeyfile")
		}
		if t.KeyFile != "" {
			if t.Master == (name == "masterkeyfile") {
				return invalidTarget(name + " is given twice")
			}
			return invalidTarget("keyfile and masterkeyfile are both given: name one key, shared (keyfile) or master (masterkeyfile)")
		}
		switch {
		case value == "":
			return invalidTarget(name + " is empty: write " + name + "=/absolute/path")
		case value[0] != '/':
			return invalidTarget(name + " must be an absolute path, starting with '/', of a file that holds the key; the key itself never goes into the target")
		case strings.IndexByte(value, 0) >= 0:
			return invalidTarget(name + " contains a NUL byte")
		}
		t.KeyFile, t.Master = value, name == "masterkeyfile"
	}
	return nil
}

// quoteName returns " " and the quoted name, for error messages, if it is
// short and made of letters, digits, '-' and '_'; otherwise "" (it may be
// something that must not be repeated, such as a key).
func quoteName(name string) string {
	if len(name) == 0 || len(name) > 16 {
		return ""
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return " " + strconv.Quote(name)
}
