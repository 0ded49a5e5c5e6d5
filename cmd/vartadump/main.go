// Command vartadump prints the Varta Lifeline Protocol frames arriving at an
// observer's address, one line per frame, as tcpdump does for packets. It
// binds the address itself, so it stands in for the observer: run it instead
// of the observer to see what a daemon sends.
//
//	go run ./cmd/vartadump -uds /tmp/x.sock
//	go run ./cmd/vartadump -udp 127.0.0.1:7070 -json
//	go run -tags secureudp ./cmd/vartadump -udp 127.0.0.1:7070 -key observer.key
//
// Each line gives the arrival time, pid, status, nonce, payload, timestamp
// (seconds since the agent's epoch) and whether the frame is a terminal
// frame. With -json each frame is one JSON object per line with the fields
// pid, status ("ok", "degraded" or "critical"), nonce, timestamp
// (nanoseconds), payload and terminal (true or false), and no arrival time.
// A datagram that does not decode (or, with a key, does not open) is
// printed as such with the reason and its length; as JSON,
// {"error": reason, "length": n}.
//
// The nonce is printed as the exact unsigned 64-bit number. Tools that read
// JSON numbers as doubles, jq among them, round large nonces: a terminal
// frame's nonce, 18446744073709551615, reads as 18446744073709552000. To
// find terminal frames, test the terminal field (jq 'select(.terminal)'),
// never the nonce.
//
// On SIGINT or SIGTERM it prints a summary per pid on stderr (frames, nonce
// gaps, first and last seen, whether a terminal frame came) and exits 0.
// Gaps follow the nonce rule vartatest enforces: a beat with nonce 1 is a
// new agent of that pid starting again, not a gap, and the first beat seen
// of a pid is none either, whatever its nonce, since vartadump may start
// while agents beat.
// It exits 1 when it cannot bind or receive, and 2 for bad usage.
//
// -uds binds a Unix datagram socket at PATH. A stale socket there (nobody
// bound to it) is removed first; a file that is not a socket, or a socket an
// observer is bound to, is left alone and vartadump exits 1. The socket is
// removed on exit.
//
// -key FILE and -master-key FILE (64 hexadecimal characters) open secure UDP
// frames: 60-byte frames under a shared key, or 64-byte frames under keys
// derived from a master key. They need a build with -tags secureudp.
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
	"github.com/varta-go/varta/internal/sequence"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sig))
}

// usage is printed by -h and after a usage error.
const usage = `vartadump prints the Varta Lifeline Protocol frames arriving at an address.

Usage:
  vartadump -uds PATH [-json]
  vartadump -udp HOST:PORT [-json]` + keyUsage + `

Examples:
  go run ./cmd/vartadump -uds /tmp/x.sock -json
  go run ./cmd/vartadump -udp 127.0.0.1:7070` + keyExample + `

One line per frame on stdout; on SIGINT or SIGTERM a summary per pid on
stderr. Exit status: 0 after a signal, 1 when binding or receiving fails,
2 for bad usage.

-json prints the fields pid, status, nonce, timestamp, payload and
terminal. Test "terminal" to find terminal frames (jq 'select(.terminal)'):
jq reads numbers as doubles, so the terminal nonce 18446744073709551615
loses its last digits there.

Flags:
`

// config is what the command line asks for.
type config struct {
	uds, udp string
	json     bool
	keys     keyFlags
}

// run is the command: it returns the exit status. It stops at the first
// value received on stop.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	var cfg config
	fs := flag.NewFlagSet("vartadump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.uds, "uds", "", "bind a Unix datagram socket at `PATH` (a stale socket there is replaced)")
	fs.StringVar(&cfg.udp, "udp", "", "listen for UDP datagrams on `HOST:PORT`")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object per frame")
	cfg.keys.add(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if msg := cfg.check(fs.NArg()); msg != "" {
		fmt.Fprintln(stderr, "vartadump:", msg)
		fmt.Fprintln(stderr, "Run vartadump -h for usage.")
		return 2
	}
	open, mode, err := cfg.keys.opener()
	if err != nil {
		fmt.Fprintln(stderr, "vartadump:", err)
		return 1
	}
	conn, where, cleanup, err := listen(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "vartadump:", err)
		return 1
	}
	defer cleanup()
	fmt.Fprintf(stderr, "vartadump: listening on %s for %s; SIGINT or SIGTERM prints a summary\n", where, mode)

	d := newDumper(stdout, cfg.json, open)
	done := make(chan error, 1)
	go func() { done <- d.loop(conn) }()
	var status int
	select {
	case <-stop:
		conn.Close()
		<-done
	case err := <-done:
		fmt.Fprintln(stderr, "vartadump: receive:", err)
		status = 1
	}
	d.summary(stderr)
	return status
}

// check returns what is wrong with the command line, or "".
func (cfg *config) check(nargs int) string {
	if nargs > 0 {
		return "unexpected arguments after the flags"
	}
	// The key flags first: in a build without them, that they need another
	// build is the news, whatever else the command line lacks.
	if msg := cfg.keys.check(cfg.udp != ""); msg != "" {
		return msg
	}
	switch {
	case cfg.uds == "" && cfg.udp == "":
		return "say where to listen: -uds PATH or -udp HOST:PORT"
	case cfg.uds != "" && cfg.udp != "":
		return "-uds and -udp exclude each other"
	}
	return ""
}

// listen binds the address cfg names. cleanup closes the socket and removes
// a socket file it created.
func listen(cfg config) (conn net.PacketConn, where string, cleanup func(), err error) {
	if cfg.udp != "" {
		addr, err := net.ResolveUDPAddr("udp", cfg.udp)
		if err != nil {
			return nil, "", nil, err
		}
		c, err := net.ListenUDP("udp", addr)
		if err != nil {
			return nil, "", nil, err
		}
		return c, "udp " + c.LocalAddr().String(), func() { c.Close() }, nil
	}
	if err := removeStaleSocket(cfg.uds); err != nil {
		return nil, "", nil, err
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: cfg.uds, Net: "unixgram"})
	if err != nil {
		return nil, "", nil, err
	}
	return c, "unixgram " + cfg.uds, func() { c.Close(); os.Remove(cfg.uds) }, nil
}

// removeStaleSocket removes the socket at path if nobody is bound to it. It
// refuses to remove anything else.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s exists and is %s, not a socket; not removing it: choose another path", path, fileType(fi.Mode()))
	}
	c, err := net.Dial("unixgram", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("an observer is bound to %s; stop it first or choose another path", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: cannot tell whether the socket is in use: %w", path, err)
	}
	return os.Remove(path)
}

// fileType names the type of a file of mode m in words.
func fileType(m os.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case os.ModeDir:
		return "a directory"
	case os.ModeSymlink:
		return "a symbolic link"
	case os.ModeNamedPipe:
		return "a named pipe"
	case os.ModeDevice:
		return "a block device"
	case os.ModeDevice | os.ModeCharDevice:
		return "a character device"
	case os.ModeSocket:
		return "a socket"
	}
	return "a file of an unusual type (" + m.Type().String() + ")"
}

// dumper prints frames and keeps the summary.
type dumper struct {
	out         io.Writer
	json        bool
	open        func([]byte) (varta.Frame, error)
	pids        map[uint32]*pidSummary
	frames      int
	undecodable int
	// log applies the observers' rules to each pid's frames; the summary
	// counts the beats that break the nonce rule as gaps.
	log sequence.Log
}

// newDumper returns a dumper that prints to out, as JSON if json is set,
// the frames open makes of datagrams.
func newDumper(out io.Writer, json bool, open func([]byte) (varta.Frame, error)) *dumper {
	return &dumper{
		out: out, json: json, open: open,
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

// jsonError is a datagram that is not a frame, as -json prints it.
type jsonError struct {
	Error  string `json:"error"`
	Length int    `json:"length"`
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
	f, err := d.open(b)
	if err != nil {
		d.undecodable++
		if d.json {
			d.printJSON(jsonError{Error: err.Error(), Length: len(b)})
		} else {
			fmt.Fprintf(d.out, "%s undecodable length=%d: %v\n", clock(at), len(b), err)
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
	fmt.Fprintf(w, "vartadump: %s from %s, %s\n",
		count(d.frames, "frame"), count(len(pids), "pid"), count(d.undecodable, "undecodable datagram"))
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
