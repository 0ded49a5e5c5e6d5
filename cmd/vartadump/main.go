// Command vartadump prints the Varta Lifeline Protocol frames arriving at an
// observer's address, one line per frame, as tcpdump does for packets. It
// binds the address itself, so it stands in for the observer: run it instead
// of the observer to see what a daemon sends.
//
// The address is given in one of three ways. A target is the string agents
// are given (varta.ConnectTo, VARTA_OBSERVER), read with varta.ParseTarget,
// so the value a daemon has can be pasted as it is:
//
//	vartadump unix:///run/varta/observer.sock
//	vartadump /run/varta/observer.sock
//	vartadump unix:@varta
//	vartadump -json udp://127.0.0.1:9000
//	vartadump 'secureudp://127.0.0.1:9443?keyfile=/etc/varta/observer.key'
//
// unix:@name (an abstract socket) exists only on Linux; secureudp://, with
// ?keyfile= for a shared key or ?masterkeyfile= for a master key, needs a
// vartadump built with -tags secureudp. The flags -uds PATH and -udp
// HOST:PORT, with -key FILE or -master-key FILE for secure frames, are the
// second way. With neither a target nor a flag, vartadump reads the target
// in VARTA_OBSERVER, so that started beside a daemon, with the daemon's
// environment, it dumps where the daemon beats; the line that says where it
// listens names the variable. A target and a flag, two targets, or -uds
// and -udp together are refused.
//
// Hosts, in a target and in -udp, follow the agents' grammar and are
// refused in its words: what ConnectTo refuses, vartadump refuses (-udp's
// refusals begin "-udp HOST:PORT:" and show fixes as -udp values). -udp
// also takes what only a listener asks for: the wildcard host 0.0.0.0
// (every IPv4 address of the host) or [::] (every address, IPv4 too where
// the system allows it; an empty host, -udp :9000, means the same), and
// port 0 (a port the kernel picks). A target
// names where agents send, which neither can be. A name is resolved as an
// agent resolves it: vartadump listens on the first address it returns.
// A flag given an empty value (-udp "$UNSET") is refused, not taken as
// left out: -key "$UNSET" never makes vartadump listen for plain frames
// in place of secure ones. vartadump joins no multicast group: a multicast address, named
// or resolved to, is refused, since net.ListenUDP would listen on every
// address of its family instead.
//
// Each line gives the arrival time, pid, status, nonce, payload, timestamp
// (seconds since the agent's epoch) and whether the frame is a terminal
// frame. With -json each frame is one JSON object per line with the fields
// pid, status ("ok", "degraded" or "critical"), nonce, timestamp
// (nanoseconds), payload and terminal (true or false), and no arrival time.
// A datagram that does not decode (or, with a key, does not open) is
// printed as such with the reason and its length; as JSON,
// {"error": reason, "length": n, "replay": false}. With a key, one
// varta.SecureOpener or varta.MasterOpener opens every datagram for the
// life of the command, and refuses replays (SPEC R6.9): a frame it opened
// before, or one that arrives after a later frame of its session, is
// printed as a replay with the reason; as JSON, {"error": reason,
// "length": n, "replay": true}. Test "replay" to find them (jq
// 'select(.replay)').
//
// The nonce is printed as the exact unsigned 64-bit number. Tools that read
// JSON numbers as doubles, jq among them, round large nonces: a terminal
// frame's nonce, 18446744073709551615, reads as 18446744073709552000. To
// find terminal frames, test the terminal field (jq 'select(.terminal)'),
// never the nonce.
//
// On SIGINT or SIGTERM it prints a summary on stderr, frames, pids,
// undecodable datagrams and, with a key, replayed frames refused, then a
// line per pid (frames, nonce gaps, first and last seen, whether a
// terminal frame came), and exits 0.
// Gaps follow the nonce rule vartatest enforces: a beat with nonce 1 is a
// new agent of that pid starting again, not a gap, and the first beat seen
// of a pid is none either, whatever its nonce, since vartadump may start
// while agents beat.
// It exits 1 when it cannot read a key file, resolve a name, bind or
// receive, and 2 for bad usage, a target it refuses among them.
//
// A socket file (unix:///PATH, a bare PATH, -uds PATH) is bound at PATH. A
// stale socket there (nobody bound to it) is removed first; a file that is
// not a socket, or a socket an observer is bound to, is left alone and
// vartadump exits 1. The socket is removed on exit.
//
// A key file (-key, -master-key, keyfile=, masterkeyfile=) holds 64
// hexadecimal characters and only its owner may read it, as
// varta.LoadKeyFile requires. A shared key opens 60-byte frames; a master
// key opens 64-byte frames under keys derived from it.
//
// Install it with
//
//	go install github.com/varta-go/varta/cmd/vartadump@latest
//	go install -tags secureudp github.com/varta-go/varta/cmd/vartadump@latest
//
// or, in a checkout, run it with go run ./cmd/vartadump (go run -tags
// secureudp ./cmd/vartadump for secure frames).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/redact"
	"github.com/varta-go/varta/internal/sequence"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Getenv(varta.ObserverEnv), os.Stdout, os.Stderr, sig))
}

// usage is printed by -h and after a usage error.
const usage = `vartadump prints the Varta Lifeline Protocol frames arriving at an address.

Usage:
  vartadump [-json] TARGET
  vartadump [-json]                   (the target in VARTA_OBSERVER)
  vartadump [-json] -uds PATH
  vartadump [-json] -udp HOST:PORT` + keyUsage + `

TARGET is the observer's address as agents are given it (varta.ConnectTo,
VARTA_OBSERVER): paste a daemon's value, and vartadump binds it in the
observer's place.
  unix:///run/varta/observer.sock     a socket file (a stale one is replaced)
  /run/varta/observer.sock            the same
  unix:@varta                         an abstract socket (Linux)
  udp://127.0.0.1:9000                UDP; IPv6 as udp://[::1]:9000
  secureudp://127.0.0.1:9443?keyfile=/absolute/path
  secureudp://127.0.0.1:9443?masterkeyfile=/absolute/path
                                      secure UDP, with a shared or a master
                                      key (in a build with -tags secureudp)

Give one of a target, -uds and -udp. With none of them, vartadump reads
the target in VARTA_OBSERVER: started with a daemon's environment (its
unit's Environment=, its env file), it dumps where the daemon beats. The
line on stderr that says where it listens then names the variable.

Hosts follow the agents' grammar: what ConnectTo refuses, vartadump
refuses, in the same words. Only -udp also takes 0.0.0.0 (every IPv4
address), [::] or an empty host as in -udp :9000 (every address) and port
0 (the kernel picks one): a target names where agents send, and no agent
can send there. vartadump joins no multicast group, and refuses to listen
on a multicast address.

Examples:
  vartadump unix:///run/varta/observer.sock
  vartadump -json udp://127.0.0.1:9000
  vartadump "$VARTA_OBSERVER"
  vartadump -udp 0.0.0.0:9000` + keyExample + `

Install:
  go install github.com/varta-go/varta/cmd/vartadump@latest
  go install -tags secureudp github.com/varta-go/varta/cmd/vartadump@latest
(the second opens secure frames too). In a checkout, go run ./cmd/vartadump
or go run -tags secureudp ./cmd/vartadump.

One line per frame on stdout; on SIGINT or SIGTERM a summary per pid on
stderr. Exit status: 0 after a signal, 1 when reading a key file,
resolving a name, binding or receiving fails, 2 for bad usage, a refused
target included.

-json prints the fields pid, status, nonce, timestamp, payload and
terminal. Test "terminal" to find terminal frames (jq 'select(.terminal)'):
jq reads numbers as doubles, so the terminal nonce 18446744073709551615
loses its last digits there. A datagram that is not a frame prints error,
length and replay: with a key, a secure frame seen before, or one that
arrives after a later frame of its session, is refused as a replay
(replay true; jq 'select(.replay)') and counted in the summary.

Flags:
`

// redactingWriter writes to w what the flag package writes, with every
// value that may be a key replaced by (redacted): the flag package repeats
// a bad value ("invalid boolean value ...", "flag provided but not
// defined: -...") in words of its own. Each message arrives in one Write.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redact.Runs(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// run is the command: it returns the exit status. env is the value of
// VARTA_OBSERVER. It stops at the first value received on stop.
func run(args []string, env string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	var cl commandLine
	fs := flag.NewFlagSet("vartadump", flag.ContinueOnError)
	fs.SetOutput(redactingWriter{stderr})
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	cl.define(fs)
	if err := cl.parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := cl.config(env)
	if err != nil {
		fmt.Fprintln(stderr, "vartadump:", err)
		fmt.Fprintln(stderr, "Run vartadump -h for usage.")
		return 2
	}
	opener, err := cfg.keys.opener()
	if err != nil {
		fmt.Fprintln(stderr, "vartadump:", err)
		return 1
	}
	defer opener.close()
	conn, where, cleanup, err := listen(cfg.at, cfg.udpFlag)
	if err != nil {
		fmt.Fprintln(stderr, "vartadump:", err)
		return 1
	}
	defer cleanup()
	if cfg.from != "" {
		where += " (from " + cfg.from + ")"
	}
	fmt.Fprintf(stderr, "vartadump: listening on %s for %s; SIGINT or SIGTERM prints a summary\n", where, opener.mode)

	d := newDumper(stdout, cfg.json, opener)
	done := make(chan error, 1)
	go func() { done <- d.loop(conn) }()
	var status int
	select {
	case <-stop:
		conn.Close()
		<-done
	case err := <-done:
		fmt.Fprintln(stderr, "vartadump: receive:", withoutKey(err, cfg.at.Path))
		status = 1
	}
	d.summary(stderr)
	return status
}

// frameOpener turns the datagrams vartadump receives into frames.
type frameOpener struct {
	open func([]byte) (varta.Frame, error)
	// mode says what it opens, in the line that says where vartadump
	// listens.
	mode string
	// secure is set for secure frames, whose opener refuses replays.
	secure bool
	// close releases the opener's key.
	close func()
}

// plainOpener decodes plain frames.
var plainOpener = frameOpener{open: varta.DecodeFrame, mode: "plain frames", close: func() {}}

// dumper prints frames and keeps the summary.
type dumper struct {
	out         io.Writer
	json        bool
	opener      frameOpener
	pids        map[uint32]*pidSummary
	frames      int
	undecodable int
	replays     int
	// log applies the observers' rules to each pid's frames; the summary
	// counts the beats that break the nonce rule as gaps.
	log sequence.Log
}

// newDumper returns a dumper that prints to out, as JSON if json is set,
// the frames opener makes of datagrams.
func newDumper(out io.Writer, json bool, opener frameOpener) *dumper {
	return &dumper{
		out: out, json: json, opener: opener,
		pids: make(map[uint32]*pidSummary),
		// A dump may start while agents beat: the first beat it sees of a
		// pid is no gap, whatever its nonce.
		log: sequence.Log{MidStream: true},
	}
}

// pidSummary is what the summary says about one pid.
type pidSummary struct {
	pid         uint32
	frames      int
	gaps        int
	first, last time.Time
	terminal    bool
}

// jsonFrame is a frame as -json prints it.
type jsonFrame struct {
	PID       uint32 `json:"pid"`
	Status    string `json:"status"`
	Nonce     uint64 `json:"nonce"`
	Timestamp uint64 `json:"timestamp"`
	Payload   uint32 `json:"payload"`
	Terminal  bool   `json:"terminal"`
}

// jsonError is a datagram that is not a frame, or a replayed frame, as
// -json prints it.
type jsonError struct {
	Error  string `json:"error"`
	Length int    `json:"length"`
	Replay bool   `json:"replay"`
}

// loop receives until conn is closed. It returns nil once conn is closed,
// and the error of any other failure.
func (d *dumper) loop(conn net.PacketConn) error {
	buf := make([]byte, 2048)
	for {
		n, _, err := conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		d.handle(time.Now(), buf[:n])
	}
}

// handle prints one datagram and counts it.
func (d *dumper) handle(at time.Time, b []byte) {
	f, err := d.opener.open(b)
	if err != nil {
		replay, what := isReplay(err), "undecodable"
		if replay {
			d.replays++
			what = "replay"
		} else {
			d.undecodable++
		}
		if d.json {
			d.printJSON(jsonError{Error: err.Error(), Length: len(b), Replay: replay})
		} else {
			fmt.Fprintf(d.out, "%s %s length=%d: %v\n", clock(at), what, len(b), err)
		}
		return
	}
	d.frames++
	terminal := f.Nonce == varta.NonceTerminal
	if d.json {
		d.printJSON(jsonFrame{PID: f.PID, Status: f.Status.String(), Nonce: f.Nonce, Timestamp: f.Timestamp, Payload: f.Payload, Terminal: terminal})
	} else {
		fmt.Fprintf(d.out, "%s pid=%d status=%s nonce=%d payload=%d timestamp=%s terminal=%s\n",
			clock(at), f.PID, f.Status, f.Nonce, f.Payload, seconds(f.Timestamp), yesNo(terminal))
	}
	s := d.pids[f.PID]
	if s == nil {
		s = &pidSummary{pid: f.PID, first: at}
		d.pids[f.PID] = s
	}
	s.frames++
	s.last = at
	if terminal {
		s.terminal = true
	}
	if err := d.log.Check(f, 0); errors.Is(err, sequence.ErrNonceSequence) {
		s.gaps++
	}
}

func (d *dumper) printJSON(v any) {
	b, _ := json.Marshal(v) // cannot fail: plain structs of strings, numbers and booleans
	d.out.Write(append(b, '\n'))
}

// summary prints the per-pid summary, in the order the pids were first seen.
func (d *dumper) summary(w io.Writer) {
	pids := make([]*pidSummary, 0, len(d.pids))
	for _, s := range d.pids {
		pids = append(pids, s)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i].first.Before(pids[j].first) })
	replays := ""
	if d.opener.secure {
		replays = ", " + count(d.replays, "replayed frame") + " refused"
	}
	fmt.Fprintf(w, "vartadump: %s from %s, %s%s\n",
		count(d.frames, "frame"), count(len(pids), "pid"), count(d.undecodable, "undecodable datagram"), replays)
	for _, s := range pids {
		fmt.Fprintf(w, "pid %d: %s, %s, first seen %s, last seen %s, terminal frame: %s\n",
			s.pid, count(s.frames, "frame"), count(s.gaps, "nonce gap"), clock(s.first), clock(s.last), yesNo(s.terminal))
	}
}

// count returns n and noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return strconv.Itoa(n) + " " + noun
}

// clock formats an arrival time.
func clock(t time.Time) string { return t.Format("15:04:05.000000") }

// seconds formats a frame timestamp, nanoseconds, as seconds.
func seconds(ns uint64) string {
	frac := strconv.FormatUint(ns%1e9, 10)
	for len(frac) < 9 {
		frac = "0" + frac
	}
	return strconv.FormatUint(ns/1e9, 10) + "." + frac + "s"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
