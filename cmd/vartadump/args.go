package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/varta-go/varta"
)

// commandLine is the command line as given, before it is checked.
type commandLine struct {
	uds, udp string
	json     bool
	keys     keyFlags
	targets  []string
}

// config is what the command line asks for.
type config struct {
	// at is where to listen: a unix target's Path, or a udp or secureudp
	// target's Host and Port. A wildcard Host and Port 0 come only from
	// -udp.
	at varta.Target
	// from is ObserverEnv when at came from that variable, "" otherwise.
	from string
	json bool
	keys keyFlags
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
			return nil
		}
		cl.targets = append(cl.targets, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// config checks the command line and returns what it asks for, or a usage
// error. env is the value of VARTA_OBSERVER, read only when the command
// line names no address.
func (cl *commandLine) config(env string) (config, error) {
	cfg := config{json: cl.json, keys: cl.keys}
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

// udpFlag returns where -udp HOST:PORT listens. HOST:PORT is read as the
// host and port of a udp:// target (varta.ParseTarget), so -udp refuses
// the hosts agents refuse, in the same words, except what only a listener
// asks for: the wildcard host 0.0.0.0 or [::] (every address), an empty
// host, which means every address as it does for Go's own listeners
// (-udp :9000), and port 0 (a port the kernel picks). For those the
// grammar checks a stand-in that it accepts, 127.0.0.1 or port 1, and the
// rest as given.
func udpFlag(s string) (varta.Target, error) {
	host, port := s, ""
	if colon := strings.LastIndexByte(s, ':'); colon >= 0 {
		host, port = s[:colon], s[colon+1:]
	}
	checked := s
	wildcard := host == "" || host == "0.0.0.0" || host == "[::]"
	if wildcard {
		checked = "127.0.0.1:" + port
	}
	if port == "0" {
		checked = strings.TrimSuffix(checked, "0") + "1"
	}
	t, err := varta.ParseTarget("udp://" + checked)
	if err != nil {
		return t, err
	}
	if wildcard {
		t.Host = strings.Trim(host, "[]")
		if host == "" {
			t.Host = "::"
		}
	}
	if port == "0" {
		t.Port = 0
	}
	return t, nil
}
