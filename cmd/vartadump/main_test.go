package main

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/varta-go/varta"
)

// mainEnv makes the test binary run the command's main instead of the
// tests, so that tests run vartadump as a process of its own.
const mainEnv = "VARTADUMP_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// wait bounds every wait for output: a hang guard, not a timing assertion.
const wait = 10 * time.Second

// dump is a vartadump process.
type dump struct {
	t        *testing.T
	cmd      *exec.Cmd
	lines    chan string // stdout, line by line
	mu       sync.Mutex
	stderr   bytes.Buffer
	exited   chan struct{}
	err      error  // of Wait, once exited is closed
	listenOn string // the address from the "listening on" line
}

// startDump runs vartadump with args and waits until it listens.
func startDump(t *testing.T, args ...string) *dump {
	t.Helper()
	return startDumpWithEnv(t, "", args...)
}

// startDumpWithEnv is startDump with VARTA_OBSERVER set to env.
func startDumpWithEnv(t *testing.T, env string, args ...string) *dump {
	t.Helper()
	d := &dump{t: t, lines: make(chan string, 100), exited: make(chan struct{})}
	d.cmd = exec.Command(os.Args[0], args...)
	// The race detector's pause of a second at exit would only slow this down.
	d.cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE=atexit_sleep_ms=0", varta.ObserverEnv+"="+env)
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "vartadump: listening on "); ok {
				listening <- rest
			}
			d.mu.Lock()
			d.stderr.WriteString(line + "\n")
			d.mu.Unlock()
		}
	}()
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.exited
	})
	select {
	case d.listenOn = <-listening:
	case <-d.exited:
		t.Fatalf("vartadump exited before listening (%v):\n%s", d.err, d.errText())
	case <-time.After(wait):
		t.Fatalf("hung: vartadump not listening within %v:\n%s", wait, d.errText())
	}
	return d
}

// errText returns what the process wrote to stderr so far.
func (d *dump) errText() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// line returns the next line of stdout.
func (d *dump) line() string {
	d.t.Helper()
	select {
	case l, ok := <-d.lines:
		if !ok {
			d.t.Fatalf("stdout closed; stderr:\n%s", d.errText())
		}
		return l
	case <-time.After(wait):
		d.t.Fatalf("hung: no line on stdout within %v; stderr:\n%s", wait, d.errText())
	}
	return ""
}

// interrupt sends sig and waits for the process to exit. It returns the
// exit status and stderr.
func (d *dump) interrupt(sig os.Signal) (int, string) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
	return d.wait()
}

// wait waits for the process to exit and returns its exit status and stderr.
func (d *dump) wait() (int, string) {
	d.t.Helper()
	select {
	case <-d.exited:
	case <-time.After(wait):
		d.t.Fatalf("hung: vartadump still running after %v", wait)
	}
	return d.cmd.ProcessState.ExitCode(), d.errText()
}

// runDump runs vartadump to its end and returns its exit status and stderr.
func runDump(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	cmd.Run()
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// configOf returns what args ask for, with env as the value of
// VARTA_OBSERVER, as run reads them, without listening.
func configOf(args []string, env string) (config, error) {
	var cl commandLine
	fs := flag.NewFlagSet("vartadump", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cl.define(fs)
	if err := cl.parse(fs, args); err != nil {
		return config{}, err
	}
	return cl.config(env)
}

// refuses runs vartadump with args, and env as the value of VARTA_OBSERVER,
// and checks that it exits 2 with stderr beginning with want. It returns
// stderr. A vartadump that listens instead stops at once, as after SIGINT.
func refuses(t *testing.T, args []string, env, want string) string {
	t.Helper()
	var stderr bytes.Buffer
	stop := make(chan os.Signal, 1)
	stop <- syscall.SIGINT
	if code := run(args, env, io.Discard, &stderr, stop); code != 2 || !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("%q, VARTA_OBSERVER=%q: exit %d, stderr:\n%s\nwant 2 and %q", args, env, code, stderr.String(), want)
	}
	return stderr.String()
}

func TestDumpRejectsBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "say where to listen: a target such as unix:///run/varta/observer.sock or udp://127.0.0.1:9000, -uds PATH or -udp HOST:PORT; or set VARTA_OBSERVER"},
		{[]string{"-uds", "/tmp/a", "-udp", "127.0.0.1:1"}, "a target, -uds and -udp exclude each other: give one"},
		{[]string{"-uds", "/tmp/a", "unix:///tmp/b"}, "a target, -uds and -udp exclude each other: give one"},
		{[]string{"udp://127.0.0.1:9000", "-udp", "127.0.0.1:9000"}, "a target, -uds and -udp exclude each other: give one"},
		{[]string{"unix:///tmp/a", "-json", "unix:///tmp/b"}, "one target at a time; got 2"},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
		{[]string{"unix:///tmp/a", "-nosuchflag"}, "flag provided but not defined"},
	} {
		var stderr bytes.Buffer
		if got := run(tc.args, "", io.Discard, &stderr, nil); got != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, got, stderr.String(), tc.want)
		}
	}
}

func TestDumpHelpShowsAnExampleAndExitsZero(t *testing.T) {
	var stderr bytes.Buffer
	if got := run([]string{"-h"}, "", io.Discard, &stderr, nil); got != 0 {
		t.Errorf("exit %d, want 0", got)
	}
	for _, want := range []string{
		"vartadump [-json] TARGET", "vartadump unix:///run/varta/observer.sock", "vartadump -json udp://127.0.0.1:9000",
		"unix:@varta", "?masterkeyfile=", "(the target in VARTA_OBSERVER)", "-uds PATH", "-udp 0.0.0.0:9000",
		"go install github.com/varta-go/varta/cmd/vartadump@latest",
		"go install -tags secureudp github.com/varta-go/varta/cmd/vartadump@latest",
		"go run -tags secureudp ./cmd/vartadump", `Test "terminal" to find terminal frames`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help does not mention %q:\n%s", want, stderr.String())
		}
	}
}

func TestDumpCountsInTheSingularAndThePlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 pids"}, {1, "1 pid"}, {2, "2 pids"}} {
		if got := count(tc.n, "pid"); got != tc.want {
			t.Errorf("count(%d, pid) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestDumpStopsOnSIGTERMWithSummary(t *testing.T) {
	d := startDump(t, "-udp", "127.0.0.1:0")
	code, stderr := d.interrupt(syscall.SIGTERM)
	if code != 0 || !strings.Contains(stderr, "vartadump: 0 frames from 0 pids, 0 undecodable datagrams") {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and an empty summary", code, stderr)
	}
}

// TestDumpCountsGapsFromTheFirstBeatItSees feeds frames straight to the
// dumper: a dump may start while an agent beats, so the first beat it sees
// of a pid is no gap, whatever its nonce; a terminal frame is none either.
func TestDumpCountsGapsFromTheFirstBeatItSees(t *testing.T) {
	d := newDumper(io.Discard, false, plainOpener)
	for _, f := range []varta.Frame{
		{PID: 7, Nonce: 41, Timestamp: 1},
		{PID: 7, Nonce: 42, Timestamp: 2},
		{PID: 7, Nonce: varta.NonceTerminal, Status: varta.StatusCritical, Timestamp: 3},
		{PID: 7, Nonce: 44, Timestamp: 4}, // a gap
		{PID: 7, Nonce: 1, Timestamp: 1},  // a new agent
		{PID: 7, Nonce: 2, Timestamp: 2},
	} {
		var b [varta.FrameBytes]byte
		f.Encode(&b)
		d.handle(time.Now(), b[:])
	}
	if s := d.pids[7]; s == nil || s.frames != 6 || s.gaps != 1 || !s.terminal {
		t.Errorf("summary %+v, want 6 frames, 1 gap and a terminal frame", s)
	}
}
