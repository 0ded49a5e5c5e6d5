package varta

// Proves that Guard sends exactly one terminal frame on a panic and re-
// panics with the same value, and sends nothing without one.

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestGuardSendsOneTerminalFrameAndCrashesAsBefore crashes a child process
// in a goroutine under Guard: the observer gets exactly one terminal frame,
// and the crash looks as it would without Guard: the panic value and the
// panicking function on stderr, exit status 2.
func TestGuardSendsOneTerminalFrameAndCrashesAsBefore(t *testing.T) {
	if inChild() != "" {
		v := childAgent(t)
		childReady()
		go panicWithGuard(v)
		childLinger(t)
		return
	}
	r := listen(t)
	c := startChild(t, "TestGuardSendsOneTerminalFrameAndCrashesAsBefore", "panic", r)
	ws := c.wait()
	if ws.Signaled() || ws.ExitStatus() != 2 {
		t.Fatalf("child ended with %v, want exit status 2\n%s", c.state, c.output())
	}
	stderr := c.stderr.String()
	for _, want := range []string{"panic: " + childPanicValue, "varta.panicWithGuard("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, c.output())
		}
	}
	expectOneTerminalFrame(t, r, c.cmd.Process.Pid)
}

// TestGuardRepanicsWithTheSameValue recovers what Guard re-panics, in
// process: it must be the very value of the first panic, after the
// terminal frame was sent.
func TestGuardRepanicsWithTheSameValue(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	boom := errors.New("boom")
	var nilAgent *Varta
	for name, agent := range map[string]*Varta{"open": v, "nil": nilAgent} {
		got := func() (r any) {
			defer func() { r = recover() }()
			defer agent.Guard()
			panic(boom)
		}()
		if got != boom {
			t.Errorf("%s agent: recovered %v after Guard, want the original error value", name, got)
		}
	}
	expectOneTerminalFrame(t, r, os.Getpid())
}

func TestGuardWithoutPanicSendsNothing(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	func() {
		defer v.Guard()
	}()
	r.expectNothing()
}
