package varta

// Proves that HandleSignals sends one terminal frame and then lets the
// signal act as it would have, never kills a program that handles the
// signal itself, and restores or leaves ignored signals as they were.

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var signalsByName = map[string]syscall.Signal{
	"SIGTERM": syscall.SIGTERM,
	"SIGINT":  syscall.SIGINT,
	"SIGQUIT": syscall.SIGQUIT,
	"SIGHUP":  syscall.SIGHUP,
}

// TestHandleSignalsSendsTerminalThenLetsTheSignalEndTheProcess signals a
// child that has no signal handling but HandleSignals: it sends one
// terminal frame and then ends as Go ends it without any handler: killed
// by SIGTERM, SIGINT or SIGHUP, and with a stack dump and exit status 2
// for SIGQUIT.
func TestHandleSignalsSendsTerminalThenLetsTheSignalEndTheProcess(t *testing.T) {
	if inChild() != "" {
		childAgent(t).HandleSignals()
		childReady()
		childLinger(t)
		return
	}
	for name, sig := range signalsByName {
		t.Run(name, func(t *testing.T) {
			r := listen(t)
			c := startChild(t, "TestHandleSignalsSendsTerminalThenLetsTheSignalEndTheProcess", "installer", r)
			c.signal(sig)
			ws := c.wait()
			if sig == syscall.SIGQUIT {
				if ws.Signaled() || ws.ExitStatus() != 2 || !strings.Contains(c.stderr.String(), "SIGQUIT: quit") {
					t.Fatalf("child ended with %v, want Go's SIGQUIT dump and exit status 2\n%s", c.state, c.output())
				}
			} else if !ws.Signaled() || ws.Signal() != sig {
				t.Fatalf("child ended with %v, want killed by %v\n%s", c.state, sig, c.output())
			}
			expectOneTerminalFrame(t, r, c.cmd.Process.Pid)
		})
	}
}

// TestOwnSignalHandlerSendsTerminalAndCompletes is the pattern for programs
// that handle SIGTERM themselves: their handler calls SendTerminal and goes
// on with its shutdown, which must run to completion.
func TestOwnSignalHandlerSendsTerminalAndCompletes(t *testing.T) {
	if inChild() != "" {
		v := childAgent(t)
		own := make(chan os.Signal, 1)
		signal.Notify(own, syscall.SIGTERM)
		childReady()
		select {
		case <-own:
		case <-time.After(30 * time.Second):
			t.Fatal("hung: no SIGTERM within 30s")
		}
		if out := v.SendTerminal(); !out.IsSent() {
			t.Fatalf("SendTerminal = %v", out)
		}
		writeMarker(t, "shutdown complete")
		return
	}
	r := listen(t)
	marker := filepath.Join(socketDir(t), "marker")
	c := startChild(t, "TestOwnSignalHandlerSendsTerminalAndCompletes", "own-handler", r, markerEnv+"="+marker)
	c.signal(syscall.SIGTERM)
	if ws := c.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0\n%s", c.state, c.output())
	}
	expectMarker(t, marker, "shutdown complete")
	expectOneTerminalFrame(t, r, c.cmd.Process.Pid)
}

// TestHandleSignalsNeverKillsAProgramThatHandlesTheSignal installs
// HandleSignals in a child that also handles the signal itself, the
// misuse its doc warns of: the child must not be killed (a SIGTERM
// shutdown completes, a SIGHUP reload stays a reload), and its channel
// receives the signal twice, as documented.
func TestHandleSignalsNeverKillsAProgramThatHandlesTheSignal(t *testing.T) {
	if mode := inChild(); mode != "" {
		sig := signalsByName[mode]
		own := make(chan os.Signal, 2)
		signal.Notify(own, sig)
		childAgent(t).HandleSignals()
		childReady()
		for i := range 2 {
			select {
			case <-own:
			case <-time.After(30 * time.Second):
				t.Fatalf("hung: delivery %d of %v did not come within 30s", i+1, sig)
			}
		}
		writeMarker(t, "handled "+mode+" twice")
		return
	}
	for _, name := range []string{"SIGTERM", "SIGHUP"} {
		t.Run(name, func(t *testing.T) {
			r := listen(t)
			marker := filepath.Join(socketDir(t), "marker")
			c := startChild(t, "TestHandleSignalsNeverKillsAProgramThatHandlesTheSignal", name, r, markerEnv+"="+marker)
			c.signal(signalsByName[name])
			if ws := c.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
				t.Fatalf("child ended with %v, want exit status 0\n%s", c.state, c.output())
			}
			expectMarker(t, marker, "handled "+name+" twice")
			expectOneTerminalFrame(t, r, c.cmd.Process.Pid)
		})
	}
}

// TestHandleSignalsStopRestoresDefaultHandling uninstalls before the
// signal arrives: the child dies by SIGTERM as if HandleSignals had never
// run, sending nothing.
func TestHandleSignalsStopRestoresDefaultHandling(t *testing.T) {
	if inChild() != "" {
		stop := childAgent(t).HandleSignals()
		stop()
		stop() // a second call is harmless
		childReady()
		childLinger(t)
		return
	}
	r := listen(t)
	c := startChild(t, "TestHandleSignalsStopRestoresDefaultHandling", "stopped", r)
	c.signal(syscall.SIGTERM)
	if ws := c.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("child ended with %v, want killed by SIGTERM\n%s", c.state, c.output())
	}
	r.expectNothing()
}

// TestHandleSignalsLeavesIgnoredSignalsIgnored checks that a process
// ignoring SIGHUP (as under nohup) still ignores it after HandleSignals:
// signal.Notify would have un-ignored it.
func TestHandleSignalsLeavesIgnoredSignalsIgnored(t *testing.T) {
	if inChild() != "" {
		signal.Ignore(syscall.SIGHUP)
		stop := childAgent(t).HandleSignals()
		if !signal.Ignored(syscall.SIGHUP) {
			t.Fatal("SIGHUP is no longer ignored after HandleSignals")
		}
		if signal.Ignored(syscall.SIGTERM) {
			t.Fatal("SIGTERM is ignored after HandleSignals")
		}
		stop()
		childReady()
		return
	}
	c := startChild(t, "TestHandleSignalsLeavesIgnoredSignalsIgnored", "ignored", listen(t))
	if ws := c.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0\n%s", c.state, c.output())
	}
}

// writeMarker records in the file named by markerEnv that the child got
// this far.
func writeMarker(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(os.Getenv(markerEnv), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func expectMarker(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("marker = %q, %v; want %q: the handler did not run to completion", got, err, want)
	}
}
