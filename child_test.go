package varta

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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
