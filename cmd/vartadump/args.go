package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/redact"
)

// commandLine is the command line as given, before it is checked.
type commandLine struct {
	uds, udp string
	json     bool
	keys     keyFlags
	targets  []string
	// empty are the flags given with an empty value, as an unset shell
	// variable gives them (-udp "$ADDR").
	empty []*flag.Flag
}

// config is what the command line asks for.
type config struct {
	// at is where to listen: a unix target's Path, or a udp or secureudp
	// target's Host and Port. A wildcard Host and Port 0 come only from
	// -udp.
	at varta.Target
	// from is ObserverEnv when at came from that variable, "" otherwise.
	from string
	// udpFlag is set when at came from -udp, whose words its errors use.
	udpFlag bool
	json    bool
	keys    keyFlags
}

// define defines the flags on fs.
func (cl *commandLine) define(fs *flag.FlagSet) {
	fs.StringVar(&cl.uds, "uds", "", "bind a Unix datagram socket at `PATH` (a stale socket there is replaced)")
	fs.StringVar(&cl.udp, "udp", "", "listen for UDP datagrams on `HOST:PORT` (0.0.0.0: every IPv4 address; [::]: every address)")
	fs.BoolVar(&cl.json, "json", false, "print one JSON object per frame")
	cl.keys.add(fs)
}

// parse reads args into cl: flags, and the targets before, between and
// after them, so that "vartadump udp://127.0.0.1:9000 -json" works as
// "vartadump -json udp://127.0.0.1:9000" does.
func (cl *commandLine) parse(fs *flag.FlagSet, args []string) error {
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		cl.targets = append(cl.targets, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Value.String() == "" {
			cl.empty = append(cl.empty, f)
		}
	})
	return nil
}

// config checks the command line and returns what it asks for, or a usage
// error. env is the value of VARTA_OBSERVER, read only when the command
// line names no address.
func (cl *commandLine) config(env string) (config, error) {
	cfg := config{json: cl.json, keys: cl.keys}
	if len(cl.empty) > 0 {
		// Not left out: given, and empty. Falling back to VARTA_OBSERVER
		// would listen somewhere the user did not ask for.
		f := cl.empty[0]
		value, _ := flag.UnquoteUsage(f)
		return cfg, errors.New("-" + f.Name + " is empty (an unset shell variable?): give -" + f.Name + " " + value + ", or leave the flag out")
	}
	// The key flags first: in a build without them, that they need another
	// build is the news, whatever else the command line lacks.
	if msg := cl.keys.check(cl.udp != ""); msg != "" {
		return cfg, errors.New(msg)
	}
	ways := len(cl.targets)
	for _, f := range []string{cl.uds, cl.udp} {
		if f != "" {
			ways++
		}
	}
	var err error
	switch {
	case len(cl.targets) > 1:
		return cfg, errors.New("one target at a time; got " + strconv.Itoa(len(cl.targets)))
	case ways > 1:
		return cfg, errors.New("a target, -uds and -udp exclude each other: give one")
	case len(cl.targets) == 1:
		err = cfg.useTarget(cl.targets[0])
	case cl.uds != "":
		cfg.at = varta.Target{Scheme: "unix", Path: cl.uds}
	case cl.udp != "":
		cfg.at, err = udpFlag(cl.udp)
		cfg.udpFlag = true
	case env != "":
		cfg.from = varta.ObserverEnv
		if err := cfg.useTarget(env); err != nil {
			return cfg, fmt.Errorf("%s: %w", varta.ObserverEnv, err)
		}
	default:
		return cfg, errors.New("say where to listen: a target such as unix:///run/varta/observer.sock or udp://127.0.0.1:9000, -uds PATH or -udp HOST:PORT; or set " + varta.ObserverEnv)
	}
	return cfg, err
}

// useTarget makes cfg listen where the target string s names, read with
// the agents' grammar. A secureudp:// target names the key file too.
func (cfg *config) useTarget(s string) error {
	t, err := varta.ParseTarget(s)
	if err != nil {
		if errors.Is(err, varta.ErrInvalidAddress) && wildcardTarget(s) {
			return fmt.Errorf("%w\nto listen on every address, give -udp 0.0.0.0:PORT (IPv4) or -udp [::]:PORT; a target names where agents send, which no wildcard can be", err)
		}
		return err
	}
	if err := refuseMulticast(t, false); err != nil {
		return err
	}
	if t.Scheme == "secureudp" {
		if err := cfg.keys.fromTarget(s, t); err != nil {
			return err
		}
	}
	cfg.at = t
	return nil
}

// wildcardTarget reports whether the target s is a udp:// or secureudp://
// target whose host is 0.0.0.0 or [::], which only -udp takes.
func wildcardTarget(s string) bool {
	_, hostport, ok := strings.Cut(s, "://")
	return ok && (strings.HasPrefix(hostport, "0.0.0.0:") || strings.HasPrefix(hostport, "[::]:"))
}

// udpFlag returns where -udp HOST:PORT listens. HOST goes through the
// agents' host grammar (varta.ParseTarget), so -udp refuses the hosts agents
// refuse, for the same reasons, except what only a listener asks for: the
// wildcard host 0.0.0.0 or [::] (every address), an empty host, which
// means every address as it does for Go's own listeners (-udp :9000), and
// port 0 (a port the kernel picks). Its errors speak of -udp values.
func udpFlag(s string) (varta.Target, error) {
	t := varta.Target{Scheme: "udp"}
	host, port, hasPort, err := splitUDPFlag(s)
	if err != nil {
		return t, err
	}
	switch host {
	case "", "[::]":
		t.Host = "::"
	case "0.0.0.0":
		t.Host = host
	default:
		if strings.ContainsAny(host, "@/?") {
			// Characters no host has, which a target reads as its own
			// syntax; the host is not repeated (it may be a secret).
			return t, udpFlagError("a host has no '@', '/' or '?': give an IP address or a name, such as -udp 127.0.0.1:9000")
		}
		// A target with HOST and a port it accepts: the grammar's words
		// speak of the host, and show a fix (a zone) as the target it
		// reads, udp://HOST:port, which -udp writes -udp HOST:port.
		checked, err := varta.ParseTarget("udp://" + host + ":1")
		if err != nil {
			return t, udpFlagError(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "varta: "), "udp://", "-udp "))
		}
		t.Host = checked.Host
	}
	if !hasPort || port == "" {
		shown := redact.Value(host)
		return t, udpFlagError("the port is missing: write -udp " + shown + ":9000, or -udp " + shown + ":0 for a port the kernel picks")
	}
	if t.Port, err = strconv.Atoi(port); err != nil || len(port) > 5 || strings.Trim(port, "0123456789") != "" || t.Port > 65535 {
		return t, udpFlagError("the port must be a decimal number in 0..65535 (0: the kernel picks one)")
	}
	return t, refuseMulticast(t, true)
}

// refuseMulticast refuses a udp or secureudp target t whose host is a
// multicast address (see multicastRefusal); udpFlag says whether -udp
// named it. A name that resolves to one is refused when it is resolved.
func refuseMulticast(t varta.Target, udpFlag bool) error {
	if ip, err := netip.ParseAddr(t.Host); err == nil && ip.IsMulticast() {
		return multicastRefusal(t.Host, ip, t.Port, udpFlag)
	}
	return nil
}

// splitUDPFlag splits the value of -udp into HOST, with the brackets of an
// IPv6 address, and PORT, and says whether a ':' stood before PORT.
func splitUDPFlag(s string) (host, port string, hasPort bool, err error) {
	if strings.TrimSpace(s) != s {
		return "", "", false, udpFlagError("the value has white space around it; remove it")
	}
	if !strings.HasPrefix(s, "[") {
		host, port, hasPort = strings.Cut(s, ":")
		if strings.IndexByte(port, ':') >= 0 {
			return "", "", false, udpFlagError("one ':' stands between HOST and PORT, and an IPv6 address goes in brackets: -udp [::1]:9000, or -udp [::]:9000 for every address")
		}
		return host, port, hasPort, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", false, udpFlagError("the IPv6 address has no closing ']'")
	}
	host, rest := s[:end+1], s[end+1:]
	if rest != "" && rest[0] != ':' {
		return "", "", false, udpFlagError("']' must be followed by :PORT, as in -udp [::1]:9000")
	}
	return host, strings.TrimPrefix(rest, ":"), rest != "", nil
}

// udpFlagError returns a usage error about the value of -udp.
func udpFlagError(why string) error {
	return errors.New("-udp HOST:PORT: " + why)
}
