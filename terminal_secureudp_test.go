//go:build secureudp

package varta

// Proves that secure terminal frames never share a nonce with beats, and
// that Guard and HandleSignals over secure UDP send exactly one terminal
// frame.

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSecureTerminalFramesAndBeatsNeverShareANonce has 4 goroutines beat
// and 2 more send terminal frames through SendTerminal, on one secure
// agent, to a real loopback observer; the senders stay less than a window
// ahead of it, so that its buffer never overflows. Every frame reported
// Sent must arrive and open with the shared or the master key alone, in
// the layout of the agent's beats (R7.3), no (key, nonce)
// pair may come twice (R6.5), beats must carry the nonces 1..N, and
// terminal frames distinct timestamps (R7.1).
func TestSecureTerminalFramesAndBeatsNeverShareANonce(t *testing.T) {
	const beaters, beats, firers, terminals = 4, 200, 2, 100
	pid := uint32(os.Getpid())
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			c := collect(t, r)

			var sent, terminalsSent atomic.Int64
			var wg sync.WaitGroup
			send := func(what string, n int, send func() BeatOutcome) {
				for range n {
					if !c.catchUp(sent.Load(), window) {
						t.Error("hung: the observer fell behind for 10s")
						return
					}
					switch out := send(); {
					case out.IsSent():
						sent.Add(1)
						if what == "terminal frame" {
							terminalsSent.Add(1)
						}
					case out != dropped(KernelQueueFull):
						t.Errorf("%s = %v", what, out)
						return
					}
				}
			}
			for range beaters {
				wg.Go(func() { send("beat", beats, func() BeatOutcome { return v.Beat(StatusOK, 0) }) })
			}
			for range firers {
				wg.Go(func() { send("terminal frame", terminals, v.SendTerminal) })
			}
			wg.Wait()
			if !c.catchUp(sent.Load(), 1) {
				t.Fatalf("hung: the observer read %d of %d frames sent within 10s", c.received.Load(), sent.Load())
			}
			frames := c.finish()

			log := newNonceLog(t, key, m.master)
			nonces := make(map[uint64]bool)
			timestamps := make(map[uint64]bool)
			for _, wire := range frames {
				f, _ := log.open(wire, pid) // fails on a repeated (key, nonce)
				switch {
				case f.Nonce != NonceTerminal:
					nonces[f.Nonce] = true
				case len(wire) != map[bool]int{false: SecureFrameBytes, true: MasterFrameBytes}[m.master] || f.Status != StatusCritical || f.Payload != 0 || timestamps[f.Timestamp]:
					t.Fatalf("terminal frame %+v of %d bytes: malformed, or its timestamp came before", f, len(wire))
				default:
					timestamps[f.Timestamp] = true
				}
			}
			beatsSent := v.Stats().Sent
			if int64(len(frames)) != sent.Load() || int64(len(timestamps)) != terminalsSent.Load() || uint64(len(nonces)) != beatsSent {
				t.Fatalf("observer got %d frames, %d of them terminal; %d were sent, %d of them terminal", len(frames), len(timestamps), sent.Load(), terminalsSent.Load())
			}
			for i := uint64(1); i <= beatsSent; i++ {
				if !nonces[i] {
					t.Fatalf("beat nonce %d never arrived", i)
				}
			}
		})
	}
}

// udpPortEnv passes the observer's UDP port to a child process.
const udpPortEnv = "VARTA_TEST_UDP_PORT"

// TestGuardOverSecureUDPSendsOneTerminalFrame crashes a child process
// under Guard with a secure UDP agent, for each key mode: the observer
// gets exactly one terminal frame in the layout of the agent's beats,
// which opens as an observer holding only the shared or the master key
// opens it (R7.3), and the crash is unchanged: the panic on stderr, exit
// status 2.
func TestGuardOverSecureUDPSendsOneTerminalFrame(t *testing.T) {
	if mode := inChild(); mode != "" {
		v := secureChildAgent(t, mode)
		childReady()
		go panicWithGuard(v)
		childLinger(t)
		return
	}
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			c := startChild(t, "TestGuardOverSecureUDPSendsOneTerminalFrame", m.name, r, udpPortEnv+"="+strconv.Itoa(port))
			ws := c.wait()
			if ws.Signaled() || ws.ExitStatus() != 2 || !strings.Contains(c.stderr.String(), "panic: "+childPanicValue) {
				t.Fatalf("child ended with %v, want the panic and exit status 2\n%s", c.state, c.output())
			}
			expectOneSecureTerminalFrame(t, m, r, c.cmd.Process.Pid)
		})
	}
}

// TestHandleSignalsOverSecureUDPSendsOneTerminalFrame sends SIGTERM to a
// child whose secure UDP agent installed HandleSignals, for each key mode:
// the observer gets exactly one terminal frame that opens with only the
// shared or the master key (R7.3), and the signal ends the child.
func TestHandleSignalsOverSecureUDPSendsOneTerminalFrame(t *testing.T) {
	if mode := inChild(); mode != "" {
		secureChildAgent(t, mode).HandleSignals()
		childReady()
		childLinger(t)
		return
	}
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			c := startChild(t, "TestHandleSignalsOverSecureUDPSendsOneTerminalFrame", m.name, r, udpPortEnv+"="+strconv.Itoa(port))
			c.signal(syscall.SIGTERM)
			if ws := c.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
				t.Fatalf("child ended with %v, want killed by SIGTERM\n%s", c.state, c.output())
			}
			expectOneSecureTerminalFrame(t, m, r, c.cmd.Process.Pid)
		})
	}
}

// secureChildAgent connects a child process to the parent's UDP observer
// with the test key, in the key mode named mode.
func secureChildAgent(t *testing.T, mode string) *Varta {
	port, err := strconv.Atoi(os.Getenv(udpPortEnv))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range secureModes {
		if m.name == mode {
			v, err := m.connect("127.0.0.1", port, testKey(t))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("unknown key mode %q", mode)
	return nil
}

// expectOneSecureTerminalFrame checks that the observer got exactly one
// frame: a terminal frame from pid, in the layout of m's beats, opened by
// OpenSecureFrame with the shared key or OpenMasterFrame with the master
// key.
func expectOneSecureTerminalFrame(t *testing.T, m secureMode, r *receiver, pid int) {
	t.Helper()
	wire := r.recv()
	if want := map[bool]int{false: SecureFrameBytes, true: MasterFrameBytes}[m.master]; len(wire) != want {
		t.Fatalf("terminal frame of %d bytes, want %d", len(wire), want)
	}
	f, _ := newNonceLog(t, testKey(t), m.master).open(wire, uint32(pid))
	if want := (Frame{Status: StatusCritical, PID: uint32(pid), Timestamp: f.Timestamp, Nonce: NonceTerminal}); f != want {
		t.Fatalf("frame %+v, want %+v", f, want)
	}
	r.expectNothing()
}

// window is how many datagrams a sender may get ahead of a collector
// without risk of loss: far fewer than a UDP receive buffer holds.
const window = 64

// catchUp waits until fewer than lag of the sent datagrams are unread
// (lag 1: all of them are read). It reports false, a hang guard, if that
// has not happened after 10 seconds.
func (c *collector) catchUp(sent, lag int64) bool {
	deadline := time.Now().Add(10 * time.Second)
	for sent-c.received.Load() >= lag {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
	return true
}
