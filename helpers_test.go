package varta

// Fixtures shared by the tests of the untagged build: a raw-syscall
// receiver, an observer that parses frames without the package's codec,
// child processes that re-run the test binary, unprivileged re-runs, and
// small checks several test files use.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// receiver is a test observer: a Unix datagram socket bound to a path,
// read with raw syscalls so that alloc tests can drain it without
// allocating.
type receiver struct {
	t    *testing.T
	path string
	fd   int
	buf  [256]byte
}

// socketDir returns a short temporary directory: t.TempDir paths can exceed
// the 107 bytes a socket address holds.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "varta")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// listen binds a receiver to a fresh path in a short temporary directory.
func listen(t *testing.T) *receiver {
	t.Helper()
	return listenAt(t, filepath.Join(socketDir(t), "obs.sock"))
}

// listenAt binds a receiver to path, removing a stale socket file first.
func listenAt(t *testing.T, path string) *receiver {
	t.Helper()
	os.Remove(path)
	fd, err := openSocket(unix.AF_UNIX, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	r := &receiver{t: t, path: path, fd: fd}
	t.Cleanup(r.close)
	return r
}

// close closes the socket, leaving the socket file behind as a crashed
// observer would.
func (r *receiver) close() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// recv waits for one datagram and returns a copy of it. It fails the test
// if none arrives within 10 seconds: a hang guard, not a timing assertion.
func (r *receiver) recv() []byte {
	r.t.Helper()
	b, err := r.next()
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// next is recv for goroutines other than the test's: it returns the error
// instead of failing the test.
func (r *receiver) next() ([]byte, error) {
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 10_000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("hung: no datagram within 10s")
		}
		break
	}
	n, err := unix.Read(r.fd, r.buf[:])
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r.buf[:n]...), nil
}

// tryRead reads one datagram if one is queued, without allocating.
func (r *receiver) tryRead() bool {
	_, err := unix.Read(r.fd, r.buf[:])
	return err == nil
}

// drain reads every queued datagram and returns how many there were.
func (r *receiver) drain() int {
	n := 0
	for r.tryRead() {
		n++
	}
	return n
}

// expectNothing fails the test if a datagram is queued. A Unix datagram
// send queues the frame before it returns, so anything sent is already there.
func (r *receiver) expectNothing() {
	r.t.Helper()
	if r.tryRead() {
		r.t.Fatal("a datagram arrived, want none")
	}
}

// observed is a frame as an observer sees it, parsed straight from the
// bytes by the layout of SPEC R1.1 without any of this package's code, so
// that agent tests do not trust the codec they are testing.
type observed struct {
	status    byte
	pid       uint32
	timestamp uint64
	nonce     uint64
	payload   uint32
}

// observe checks the wire bytes as an independent observer would and
// returns the fields, or an error naming the first rule broken.
func observe(b []byte) (observed, error) {
	if len(b) != 32 {
		return observed{}, fmt.Errorf("length %d, want 32", len(b))
	}
	if b[0] != 'V' || b[1] != 'A' || b[2] != 2 {
		return observed{}, fmt.Errorf("header % x, want 56 41 02", b[:3])
	}
	want := crc32.Checksum(b[:28], crc32.MakeTable(0x82F63B78))
	if got := binary.LittleEndian.Uint32(b[28:]); got != want {
		return observed{}, fmt.Errorf("crc %08x, want %08x", got, want)
	}
	o := observed{
		status:    b[3],
		pid:       binary.LittleEndian.Uint32(b[4:]),
		timestamp: binary.LittleEndian.Uint64(b[8:]),
		nonce:     binary.LittleEndian.Uint64(b[16:]),
		payload:   binary.LittleEndian.Uint32(b[24:]),
	}
	switch {
	case o.status > 2:
		return o, fmt.Errorf("status %d on the wire", o.status)
	case o.pid <= 1:
		return o, fmt.Errorf("pid %d", o.pid)
	case o.timestamp == ^uint64(0):
		return o, fmt.Errorf("reserved timestamp")
	case o.nonce == ^uint64(0) && o.status != 2:
		return o, fmt.Errorf("terminal nonce with status %d", o.status)
	}
	return o, nil
}

// stream follows the frames of one sender as an observer does: it accepts
// a frame only if it is well formed, carries the sender's real pid, the
// next nonce, and a timestamp no earlier than the previous one.
type stream struct {
	t      *testing.T
	pid    uint32
	nonce  uint64
	lastTS uint64
}

// newStream returns an observer of one agent's stream of frames.
func newStream(t *testing.T) *stream {
	return &stream{t: t, pid: uint32(os.Getpid())}
}

// accept checks the next frame of the stream and returns it.
func (s *stream) accept(b []byte) observed {
	s.t.Helper()
	o, err := observe(b)
	if err != nil {
		s.t.Fatalf("observer rejects %x: %v", b, err)
	}
	if o.pid != s.pid {
		s.t.Fatalf("frame pid %d, want the sender's %d", o.pid, s.pid)
	}
	if o.nonce != s.nonce+1 {
		s.t.Fatalf("nonce %d after %d: a gap or repeat", o.nonce, s.nonce)
	}
	if o.timestamp < s.lastTS {
		s.t.Fatalf("timestamp %d after %d went backwards", o.timestamp, s.lastTS)
	}
	s.nonce, s.lastTS = o.nonce, o.timestamp
	return o
}

// Tests that need a process of their own re-execute the test binary to run
// only themselves, with childEnv naming what the child does and sockEnv
// the observer it connects to.
const (
	childEnv  = "VARTA_TEST_CHILD"
	sockEnv   = "VARTA_TEST_SOCK"
	markerEnv = "VARTA_TEST_MARKER"
	// emulatorEnv names the user-mode emulator the tests run under, if
	// any (.ci/qemu-exec sets it): the kernel cannot execute the test
	// binary itself, so it is started again through the emulator.
	emulatorEnv = "VARTA_TEST_EMULATOR"
)

// testBinary returns a command that runs the test binary at path with
// args, through the emulator the tests run under if there is one.
func testBinary(path string, args ...string) *exec.Cmd {
	if emu := os.Getenv(emulatorEnv); emu != "" {
		return exec.Command(emu, append([]string{path}, args...)...)
	}
	return exec.Command(path, args...)
}

// inChild returns the child's mode, or "" in the parent test process.
func inChild() string { return os.Getenv(childEnv) }

// requireCoreEnv, set to 1, makes a test of a core guarantee that cannot
// run fail instead of skip: the fork mark, forks that keep the pid number,
// Connect as pid 1 of a new pid namespace. CI sets it for its runs on
// Linux, where each of these must run; its emulated runs leave it unset
// and keep their stated skips.
const requireCoreEnv = "VARTA_REQUIRE_CORE_TESTS"

// skipCore skips a test of a core guarantee that this system cannot run,
// saying why, or fails it when requireCoreEnv is 1.
func skipCore(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(requireCoreEnv) == "1" {
		t.Fatalf(requireCoreEnv+"=1 requires this test of a core guarantee to run, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// child is a test binary re-executed by startChild.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *readyWriter
	stderr bytes.Buffer
	exited chan struct{} // closed when the process has been reaped
	state  *os.ProcessState
}

// startChild runs test (a test function name) in a new process with mode
// in childEnv and r's path in sockEnv, plus the extra environment given,
// and waits until the child prints "ready" on stdout.
func startChild(t *testing.T, test, mode string, r *receiver, env ...string) *child {
	t.Helper()
	c := &child{t: t, stdout: &readyWriter{ready: make(chan struct{})}, exited: make(chan struct{})}
	c.cmd = testBinary(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	// The race detector's default pause of a second at exit would slow
	// every child that exits normally.
	race := "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
	c.cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + mode, sockEnv + "=" + r.path, race}, env...)...)
	c.cmd.Stdout = c.stdout
	c.cmd.Stderr = &c.stderr
	if err := startWithDefaultSignals(c.cmd); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		c.state = c.cmd.ProcessState
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	select {
	case <-c.stdout.ready:
	case <-c.exited:
		t.Fatalf("child exited (%v) before it was ready\n%s", c.state, c.output())
	case <-time.After(30 * time.Second):
		t.Fatal("hung: child not ready within 30s")
	}
	return c
}

// startWithDefaultSignals starts cmd so that it does not inherit this
// process's ignoring of SIGHUP or SIGINT, the two signals Go leaves
// ignored when it starts with them ignored (a shell without job control
// starts background commands with SIGINT ignored). While a Go handler is
// installed here, exec gives the child the default handling; signal.Stop
// then puts back whatever this process had. A signal arriving here in
// between is lost, which a test run can afford.
func startWithDefaultSignals(cmd *exec.Cmd) error {
	handled := make(chan os.Signal, 1)
	signal.Notify(handled, syscall.SIGHUP, syscall.SIGINT)
	defer signal.Stop(handled)
	return cmd.Start()
}

// signal sends sig to the child.
func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// wait waits for the child to end and returns how it ended.
func (c *child) wait() syscall.WaitStatus {
	c.t.Helper()
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		c.t.Fatalf("hung: child still running after 30s\n%s", c.output())
	}
	return c.state.Sys().(syscall.WaitStatus)
}

// output returns what the child wrote, for failure messages.
func (c *child) output() string {
	return fmt.Sprintf("stdout:\n%s\nstderr:\n%s", c.stdout.String(), c.stderr.String())
}

// readyWriter collects a child's stdout and closes ready when a line
// "ready" has been written.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	seen  bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains(w.buf.String(), "ready\n") {
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// childAgent connects the child to the parent's receiver.
func childAgent(t *testing.T) *Varta {
	t.Helper()
	v, err := Connect(os.Getenv(sockEnv))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// childReady tells the parent the child is set up.
func childReady() { fmt.Println("ready") }

// childLinger keeps the child alive for the parent to signal; if nothing
// ends it within 30s the child fails.
func childLinger(t *testing.T) {
	time.Sleep(30 * time.Second)
	t.Fatal("hung: still alive 30s after ready")
}

// nobody is the uid and gid that permission tests run as when the suite
// runs as root.
const nobody = 65534

// runUnprivileged runs the tests matching pattern again in a child process
// as user and group nobody, with env added to its environment, and fails t
// with the child's output if the child fails or runs no test. Root
// bypasses file permission checks, so tests of those checks run this way
// when the suite runs as root.
func runUnprivileged(t *testing.T, pattern string, env ...string) {
	t.Helper()
	// The test binary may sit in a directory only root can read.
	dir := socketDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "varta.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := testBinary(bin, "-test.run="+pattern, "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: ")) {
		t.Fatalf("child as an unprivileged user: %v\n%s", err, out)
	}
}

// connectTo connects an agent to r and closes it at cleanup.
func connectTo(t *testing.T, r *receiver) *Varta {
	t.Helper()
	v, err := Connect(r.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// fillQueue beats until the receiver's queue is full.
func fillQueue(t *testing.T, v *Varta) {
	t.Helper()
	for i := 0; ; i++ {
		out := v.Beat(StatusOK, 0)
		if out.DropReason() == KernelQueueFull {
			return
		}
		if !out.IsSent() || i > 1_000_000 {
			t.Fatalf("filling the queue: beat %d returned %v", i, out)
		}
	}
}

// beatThrough sends one beat with payload, which must be Sent and arrive at
// r as the next frame of s.
func beatThrough(t *testing.T, v *Varta, r *receiver, s *stream, payload uint32) {
	t.Helper()
	if out := v.Beat(StatusOK, payload); !out.IsSent() {
		t.Fatalf("beat with payload %d = %v, want Sent", payload, out)
	}
	if o := s.accept(r.recv()); o.payload != payload {
		t.Fatalf("frame carries payload %d, want %d", o.payload, payload)
	}
}

// expectBeat sends one beat and fails t unless its outcome reads want.
func expectBeat(t *testing.T, v *Varta, want string) {
	t.Helper()
	if out := v.Beat(StatusOK, 0); out.String() != want {
		t.Fatalf("beat = %v, want %s", out, want)
	}
}

// forkChecks runs test twice: with the agents it connects checking the
// fork mark (skipped, with the reason, where the mark cannot be made) and
// with them reading the pid, as they do where it cannot. test gets the
// fork check its agents should report.
func forkChecks(t *testing.T, test func(t *testing.T, want ForkCheck)) {
	t.Helper()
	t.Run("mark", func(t *testing.T) {
		requireForkMark(t)
		test(t, ForkCheckMark)
	})
	t.Run("pid", func(t *testing.T) {
		withoutForkMark(t)
		test(t, ForkCheckPID)
	})
}

// expectForkCheck fails the test unless v checks for forks as want says.
func expectForkCheck(t *testing.T, v *Varta, want ForkCheck) {
	t.Helper()
	if got := v.ForkCheck(); got != want {
		t.Fatalf("ForkCheck = %v, want %v", got, want)
	}
}

// expectOneTerminalFrame checks that the receiver holds exactly one
// datagram, a well-formed 32-byte terminal frame carrying pid.
func expectOneTerminalFrame(t *testing.T, r *receiver, pid int) observed {
	t.Helper()
	b := r.recv()
	o, err := observe(b)
	if err != nil {
		t.Fatalf("observer rejects %x: %v", b, err)
	}
	if o.status != byte(StatusCritical) || o.nonce != NonceTerminal || o.payload != 0 || o.pid != uint32(pid) {
		t.Fatalf("frame %+v, want a terminal frame: critical, nonce 2^64-1, payload 0, pid %d", o, pid)
	}
	r.expectNothing()
	return o
}

// vectors is the cross-language conformance file, testdata/vlp-test-vectors.json,
// generated from the reference implementation of VLP v0.2.
type vectors struct {
	CRC32C []struct {
		ID       string `json:"id"`
		Input    string `json:"input_hex"`
		Expected string `json:"expected_crc_hex"`
	} `json:"crc32c_vectors"`
	Frames []struct {
		ID     string `json:"id"`
		Kind   string `json:"kind"`
		Error  string `json:"expected_decode_error"`
		Inputs struct {
			Status    string `json:"status"`
			PID       uint32 `json:"pid"`
			Timestamp uint64 `json:"timestamp"`
			Nonce     uint64 `json:"nonce"`
			Payload   uint32 `json:"payload"`
		} `json:"inputs"`
		ExpectedWire string `json:"expected_wire_hex"`
		Wire         string `json:"wire_hex"`
	} `json:"frame_vectors"`
	Secure []json.RawMessage `json:"secure_frame_vectors"`
}

// loadVectors reads the conformance vectors from testdata.
func loadVectors(t testing.TB) vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/vlp-test-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// unhex decodes the hex string s of a vector.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statusNames maps the status names of the vectors to statuses.
var statusNames = map[string]Status{"ok": StatusOK, "degraded": StatusDegraded, "critical": StatusCritical}

// childPanicValue is what panicWithGuard panics with.
const childPanicValue = "varta test: deliberate panic"

// panicWithGuard is a daemon's worker that crashes under Guard.
func panicWithGuard(v *Varta) {
	defer v.Guard()
	panic(childPanicValue)
}

// closeWhileBeating has 8 goroutines beat on v and closes v once they have
// made 1,000 beats. Nothing may panic or race (run with -race); once a
// goroutine has seen the agent closed, every later beat of it must be
// Failed(ErrClosed); before, every beat must be Sent or
// Dropped(KernelQueueFull); and Stats must count every beat once. It
// returns the beats counted.
func closeWhileBeating(t *testing.T, v *Varta) Stats {
	t.Helper()
	const goroutines, closedBeats = 8, 10
	tallies := make([]Stats, goroutines) // each goroutine counts its own outcomes
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			tally := &tallies[g]
			for tally.Failed < closedBeats {
				out := v.Beat(StatusOK, 0)
				switch {
				case out.IsFailed() && errors.Is(out.Err(), ErrClosed):
					tally.Failed++
				case tally.Failed > 0:
					t.Errorf("goroutine %d: beat after the agent closed = %v, want Failed(ErrClosed)", g, out)
					return
				case out.IsSent():
					tally.Sent++
				case out.DropReason() == KernelQueueFull:
					tally.DroppedKernelQueueFull++
				default:
					t.Errorf("goroutine %d: beat = %v", g, out)
					return
				}
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for st := v.Stats(); st.Sent+st.Dropped() < 1000; st = v.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("hung: the beaters made only %d beats", st.Sent+st.Dropped())
		}
		time.Sleep(time.Millisecond) // let the beaters get going
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("hung: the beaters did not all see the agent closed")
	}

	var sum Stats
	for _, tally := range tallies {
		sum.Sent += tally.Sent
		sum.DroppedKernelQueueFull += tally.DroppedKernelQueueFull
		sum.Failed += tally.Failed
	}
	if got := v.Stats(); got != sum || sum.Failed != goroutines*closedBeats {
		t.Fatalf("Stats = %+v, the beaters counted %+v", got, sum)
	}
	return sum
}

// connectToFileAtPath returns an agent whose observer has stopped and left
// a regular file at its path, which every reconnect finds.
func connectToFileAtPath(t *testing.T) *Varta {
	t.Helper()
	r := listen(t)
	v := connectTo(t, r)
	r.close()
	if err := os.Remove(r.path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.path, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	return v
}

// fileAtPath is the outcome of a beat of v whose reconnect finds a regular
// file at the observer's path: Failed with the errno of the connect
// (ECONNREFUSED on Linux, ENOTSOCK on the BSDs and macOS).
func fileAtPath(v *Varta) BeatOutcome {
	errno := unix.ENOTSOCK
	if runtime.GOOS == "linux" {
		errno = unix.ECONNREFUSED
	}
	return BeatOutcome{kind: outcomeFailed, op: opReconnect, call: callConnect, ft: unix.S_IFREG, errno: errno, ep: v.ep}
}
