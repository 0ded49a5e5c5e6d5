//go:build secureudp && unix

package varta

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestSecureTerminalFramesAndBeatsNeverShareANonce has 4 goroutines beat
// and 2 more send terminal frames through SendTerminal, on one secure
// agent, to a real loopback observer. Every datagram that reaches the
// observer is opened (beats with the shared or master key, terminal frames
// with the shared key or AgentKey(master, pid)), and no (key, nonce) pair
// comes twice (R6.5), beats carry distinct nonces, and terminal frames
// distinct timestamps (R7.1). A UDP observer may lose datagrams when its
// buffer is full, so what arrived is checked against what was sent, not
// counted equal to it.
func TestSecureTerminalFramesAndBeatsNeverShareANonce(t *testing.T) {
	const beaters, beats, firers, terminals = 4, 200, 2, 100
	pid := uint32(os.Getpid())
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			finish := collect(t, r)

			var wg sync.WaitGroup
			var mu sync.Mutex
			var terminalsSent int
			send := func(what string, n int, send func() BeatOutcome) {
				for range n {
					out := send()
					switch {
					case out.IsSent() && what == "terminal frame":
						mu.Lock()
						terminalsSent++
						mu.Unlock()
					case out.IsSent(), out == dropped(KernelQueueFull):
					default:
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
			frames := finish()

			log := newNonceLog(t, key, m.master)
			beatSent := v.Stats().Sent
			nonces := make(map[uint64]bool)
			timestamps := make(map[uint64]bool)
			var gotBeats, gotTerminals int
			for _, wire := range frames {
				f, _ := log.open(wire, pid) // fails on a repeated (key, nonce)
				switch {
				case f.Nonce == NonceTerminal:
					if len(wire) != SecureFrameBytes || f.Status != StatusCritical || f.Payload != 0 || timestamps[f.Timestamp] {
						t.Fatalf("terminal frame %+v of %d bytes: malformed, or its timestamp came before", f, len(wire))
					}
					timestamps[f.Timestamp] = true
					gotTerminals++
				case f.Nonce == 0 || f.Nonce > beatSent || nonces[f.Nonce]:
					t.Fatalf("beat with nonce %d: repeated, or beyond the %d sent", f.Nonce, beatSent)
				default:
					nonces[f.Nonce] = true
					gotBeats++
				}
			}
			if gotTerminals > terminalsSent || gotBeats == 0 || gotTerminals == 0 {
				t.Fatalf("observer got %d beats and %d terminal frames; %d beats and %d terminal frames were sent", gotBeats, gotTerminals, beatSent, terminalsSent)
			}
			t.Logf("observer got %d of %d beats and %d of %d terminal frames, %d distinct nonces", gotBeats, beatSent, gotTerminals, terminalsSent, len(log.seen))
		})
	}
}

// udpPortEnv passes the observer's UDP port to a child process.
const udpPortEnv = "VARTA_TEST_UDP_PORT"

// TestGuardOverSecureUDPSendsOneTerminalFrame crashes a child process
// under Guard with a secure UDP agent, for each key mode: the observer
// gets exactly one 60-byte terminal frame that opens with the shared key,
// or with AgentKey(master, child's pid), and the crash is unchanged: the
// panic on stderr, exit status 2.
func TestGuardOverSecureUDPSendsOneTerminalFrame(t *testing.T) {
	if mode := inChild(); mode != "" {
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
				childReady()
				go panicWithGuard(v)
				childLinger(t)
			}
		}
		t.Fatalf("unknown key mode %q", mode)
	}
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			c := startChild(t, "TestGuardOverSecureUDPSendsOneTerminalFrame", m.name, r, udpPortEnv+"="+strconv.Itoa(port))
			ws := c.wait()
			if ws.Signaled() || ws.ExitStatus() != 2 || !strings.Contains(c.stderr.String(), "panic: "+childPanicValue) {
				t.Fatalf("child ended with %v, want the panic and exit status 2\n%s", c.state, c.output())
			}
			wire := r.recv()
			if len(wire) != SecureFrameBytes {
				t.Fatalf("terminal frame of %d bytes, want %d", len(wire), SecureFrameBytes)
			}
			childPID := uint32(c.cmd.Process.Pid)
			f, _ := newNonceLog(t, testKey(t), m.master).open(wire, childPID)
			if want := (Frame{Status: StatusCritical, PID: childPID, Timestamp: f.Timestamp, Nonce: NonceTerminal}); f != want {
				t.Fatalf("frame %+v, want %+v", f, want)
			}
			r.expectNothing()
		})
	}
}
