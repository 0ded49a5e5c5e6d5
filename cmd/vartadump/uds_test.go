//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
	"golang.org/x/sys/unix"
)

// socketPath returns a path for a socket in a short temporary directory:
// t.TempDir paths can exceed the 107 bytes a socket address holds.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vartadump")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "x.sock")
}

// connectTo connects an agent to target, a target string as ConnectTo
// takes it (a socket's absolute path is one).
func connectTo(t *testing.T, target string) *varta.Varta {
	t.Helper()
	agent, err := varta.ConnectTo(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	return agent
}

// beat sends a beat and fails the test unless it was sent.
func beat(t *testing.T, agent *varta.Varta, status varta.Status, payload uint32) {
	t.Helper()
	if out := agent.Beat(status, payload); !out.IsSent() {
		t.Fatalf("beat: %v", out)
	}
}

// sendRaw sends b as one datagram to the Unix socket at path.
func sendRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	c, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// checkJSONFrame checks that line is a JSON object with exactly the fields
// of a frame and the given values.
func checkJSONFrame(t *testing.T, line string, pid int, status string, nonce uint64, payload uint32, terminal bool) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"nonce", "payload", "pid", "status", "terminal", "timestamp"}; !slices.Equal(keys, want) {
		t.Errorf("%q: fields %q, want %q", line, keys, want)
	}
	var f jsonFrame
	if err := json.Unmarshal([]byte(line), &f); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if f.PID != uint32(pid) || f.Status != status || f.Nonce != nonce || f.Payload != payload || f.Terminal != terminal {
		t.Errorf("%q: want pid %d, status %s, nonce %d, payload %d, terminal %v", line, pid, status, nonce, payload, terminal)
	}
}

func TestDumpPrintsEachFrameFromUDSAsJSON(t *testing.T) {
	path := socketPath(t)
	d := startDump(t, "-uds", path, "-json")
	agent := connectTo(t, path)
	pid := os.Getpid()

	beat(t, agent, varta.StatusOK, 10)
	checkJSONFrame(t, d.line(), pid, "ok", 1, 10, false)
	beat(t, agent, varta.StatusDegraded, 11)
	checkJSONFrame(t, d.line(), pid, "degraded", 2, 11, false)
	if out := agent.SendTerminal(); !out.IsSent() {
		t.Fatalf("terminal frame: %v", out)
	}
	checkJSONFrame(t, d.line(), pid, "critical", varta.NonceTerminal, 0, true)

	sendRaw(t, path, []byte("VA\x02short"))
	var bad jsonError
	if line := d.line(); json.Unmarshal([]byte(line), &bad) != nil || bad.Length != 8 || !strings.Contains(bad.Error, "not 32 bytes") {
		t.Errorf("undecodable datagram printed as %q, want its reason and length 8", line)
	}

	code, stderr := d.interrupt(syscall.SIGINT)
	want := fmt.Sprintf("pid %d: 3 frames, 0 nonce gaps, ", pid)
	if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "terminal frame: yes") ||
		!strings.Contains(stderr, "3 frames from 1 pid, 1 undecodable datagram\n") {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and a summary with %q", code, stderr, want)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}

func TestDumpPrintsLinesForPeopleAndCountsNonceGaps(t *testing.T) {
	path := socketPath(t)
	d := startDump(t, "-uds", path)
	pid := uint32(os.Getpid())
	// A gap between 2 and 5; then a new agent of the pid starts again at 1.
	for _, nonce := range []uint64{1, 2, 5, 1} {
		var b [varta.FrameBytes]byte
		varta.Frame{Status: varta.StatusOK, PID: pid, Nonce: nonce, Timestamp: 1_500_000_000 + nonce, Payload: 7}.Encode(&b)
		sendRaw(t, path, b[:])
	}
	line := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} pid=(\d+) status=ok nonce=(\d) payload=7 timestamp=1\.50000000\ds terminal=no$`)
	for _, nonce := range []string{"1", "2", "5", "1"} {
		l := d.line()
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprint(pid) || m[2] != nonce {
			t.Errorf("line %q, want one matching %s with pid %d and nonce %s", l, line, pid, nonce)
		}
	}
	sendRaw(t, path, make([]byte, varta.FrameBytes))
	if l := d.line(); !strings.Contains(l, " undecodable length=32: varta: bad magic") {
		t.Errorf("undecodable datagram printed as %q", l)
	}
	code, stderr := d.interrupt(syscall.SIGINT)
	if want := fmt.Sprintf("pid %d: 4 frames, 1 nonce gap, ", pid); code != 0 || !strings.Contains(stderr, want) ||
		!strings.Contains(stderr, "terminal frame: no") {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and a summary with %q", code, stderr, want)
	}
}

func TestDumpRefusesToRemoveAFileThatIsNotASocket(t *testing.T) {
	path := socketPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runDump(t, "-uds", path)
	if want := path + " exists and is a regular file, not a socket"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("file now holds %q (%v), want it untouched", b, err)
	}
}

func TestDumpNamesTheTypeOfAFileThatIsNotASocket(t *testing.T) {
	dir := socketPath(t)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := dir + ".fifo"
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := dir + ".link"
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, kind string }{
		{dir, "a directory"},
		{fifo, "a named pipe"},
		{link, "a symbolic link"},
	} {
		code, stderr := runDump(t, "-uds", tc.path)
		if want := tc.path + " exists and is " + tc.kind + ", not a socket"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("directory now %v (%v), want it untouched", fi, err)
	}
}

func TestDumpRefusesASocketAnObserverIsBoundTo(t *testing.T) {
	path := socketPath(t)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	code, stderr := runDump(t, "-uds", path)
	if code != 1 || !strings.Contains(stderr, "an observer is bound to") {
		t.Errorf("exit %d, stderr %q; want 1 and a refusal", code, stderr)
	}
}

func TestDumpReplacesAStaleSocket(t *testing.T) {
	path := socketPath(t)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close() // the file stays, as after a crashed observer
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("no stale socket to replace: %v", err)
	}
	d := startDump(t, "-uds", path, "-json")
	beat(t, connectTo(t, path), varta.StatusOK, 1)
	checkJSONFrame(t, d.line(), os.Getpid(), "ok", 1, 1, false)
	if code, stderr := d.interrupt(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
