package varta

// Proves that terminal frames stand outside the beat sequence, have
// strictly increasing timestamps, are refused after a fork, and never
// block.

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTerminalFrameStandsOutsideTheBeatSequence checks R7.1 on the wire
// and that a terminal frame neither takes a nonce from the beats nor moves
// their clock: the beat after it carries the next nonce, and the terminal
// timestamp is no earlier than the beat before it.
func TestTerminalFrameStandsOutsideTheBeatSequence(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	s := newStream(t)
	v.Beat(StatusOK, 5)
	before := s.accept(r.recv())

	if out := v.SendTerminal(); !out.IsSent() {
		t.Fatalf("SendTerminal = %v", out)
	}
	term := expectOneTerminalFrame(t, r, os.Getpid())
	if term.timestamp < before.timestamp {
		t.Fatalf("terminal timestamp %d is earlier than the last beat's %d", term.timestamp, before.timestamp)
	}

	// A clock that went back is not a regression of the beat sequence.
	v.setClock(func() time.Time { return time.Now().Add(-time.Hour) })
	if out := v.SendTerminal(); !out.IsSent() {
		t.Fatalf("SendTerminal with the clock behind = %v", out)
	}
	if again := expectOneTerminalFrame(t, r, os.Getpid()); again.timestamp <= term.timestamp {
		t.Fatalf("terminal timestamp %d after %d", again.timestamp, term.timestamp)
	}
	v.setClock(time.Now)

	v.Beat(StatusOK, 6)
	if after := s.accept(r.recv()); after.nonce != 2 {
		t.Fatalf("beat after the terminal frame has nonce %d, want 2", after.nonce)
	}
	if got := v.Stats(); got != (Stats{Sent: 2}) {
		t.Fatalf("Stats = %+v, want the 2 beats only", got)
	}
}

// TestTerminalTimestampsStrictlyIncrease stops the clocks of two agents,
// the second connected later and so behind the first: terminal frames
// from either must still carry strictly increasing timestamps.
func TestTerminalTimestampsStrictlyIncrease(t *testing.T) {
	r := listen(t)
	a, b := connectTo(t, r), connectTo(t, r)
	frozen := time.Now()
	a.setClock(func() time.Time { return frozen.Add(time.Hour) })
	b.setClock(func() time.Time { return frozen })

	var last uint64
	for i, agent := range []*Varta{a, a, b, a, b, b} {
		if out := agent.SendTerminal(); !out.IsSent() {
			t.Fatalf("terminal frame %d: %v", i, out)
		}
		o := expectOneTerminalFrame(t, r, os.Getpid())
		if i > 0 && o.timestamp <= last {
			t.Fatalf("terminal frame %d has timestamp %d after %d", i, o.timestamp, last)
		}
		last = o.timestamp
	}
}

// TestTerminalAfterForkSendsNothingUntilABeatFollowsIt simulates a fork
// (R6.8, R7.3): a terminal frame never sets up a transport, so in a child
// that has not beaten yet it is refused without sending, whether the fork
// shows as a new pid or, with the mark, as a cleared mark alone; once a
// beat has followed the fork, terminal frames carry the child's pid.
func TestTerminalAfterForkSendsNothingUntilABeatFollowsIt(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		expectForkCheck(t, v, mode)
		refused := func(what string) {
			t.Helper()
			out := v.SendTerminal()
			if be, ok := out.Err().(*BeatError); !out.IsFailed() || !ok || be.op != opTerminalForked {
				t.Fatalf("SendTerminal %s = %v, want Failed: forked", what, out)
			}
			r.expectNothing()
		}

		child := os.Getpid() + 1000
		v.setPIDSource(func() int { return child })
		refused("in a child with a new pid")
		if got := v.Stats(); got != (Stats{}) {
			t.Fatalf("Stats = %+v: the terminal frame moved counters", got)
		}
		if out := v.Beat(StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat in the child: %v", out)
		}
		if o, _ := observe(r.recv()); o.pid != uint32(child) || o.nonce != 1 {
			t.Fatalf("child's beat: pid %d nonce %d", o.pid, o.nonce)
		}
		if out := v.SendTerminal(); !out.IsSent() {
			t.Fatalf("SendTerminal after the child's beat = %v", out)
		}
		expectOneTerminalFrame(t, r, child)

		if mode != ForkCheckMark {
			return
		}
		// A fork that kept the pid number: only the mark tells.
		clearForkMark()
		refused("in a child with the same pid")
		v.Beat(StatusOK, 0)
		if o, _ := observe(r.recv()); o.pid != uint32(child) || o.nonce != 1 || v.ForkRecoveries() != 2 {
			t.Fatalf("beat after a fork that kept the pid: pid %d nonce %d, %d fork recoveries", o.pid, o.nonce, v.ForkRecoveries())
		}
		if out := v.SendTerminal(); !out.IsSent() {
			t.Fatalf("SendTerminal after the beat = %v", out)
		}
		expectOneTerminalFrame(t, r, child)
	})
}

// TestTerminalOnClosedOrNilAgentFails checks that SendTerminal on a closed
// or nil agent is Failed, matching ErrClosed and EBADF, with an error that
// speaks of the terminal frame, not of a beat.
func TestTerminalOnClosedOrNilAgentFails(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.Close()
	var nilAgent *Varta
	const want = "varta: terminal frame not sent: the agent is closed (or nil); send it before Close"
	for name, agent := range map[string]*Varta{"closed": v, "nil": nilAgent} {
		out := agent.SendTerminal()
		if !out.IsFailed() || !errors.Is(out.Err(), ErrClosed) || !errors.Is(out.Err(), unix.EBADF) {
			t.Errorf("%s agent: SendTerminal = %v, want Failed matching ErrClosed and EBADF", name, out)
			continue
		}
		if got := out.Err().Error(); got != want {
			t.Errorf("%s agent: SendTerminal's error reads\n%q\nwant\n%q", name, got, want)
		}
	}
	r.expectNothing()
}

// TestTerminalNeverBlocksWhenReceiverQueueIsFull fires into an observer
// whose queue is full. A blocking send would hang; the hang guard fails
// the test instead.
func TestTerminalNeverBlocksWhenReceiverQueueIsFull(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	fillQueue(t, v)
	done := make(chan BeatOutcome, 1)
	go func() { done <- v.SendTerminal() }()
	select {
	case out := <-done:
		if out != dropped(KernelQueueFull) {
			t.Fatalf("SendTerminal = %v, want Dropped(kernel queue full)", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hung: SendTerminal blocked on a full receiver queue")
	}
}

// TestTerminalFramesAlongsideRunningBeats fires terminal frames from four
// goroutines while Run beats. Every frame must reach the observer intact,
// beats with consecutive nonces and terminal frames with strictly
// increasing timestamps, and every Sent outcome must be a frame received.
func TestTerminalFramesAlongsideRunningBeats(t *testing.T) {
	const firers, each = 4, 100
	r := listen(t)
	v := connectTo(t, r)
	ctx, cancel := context.WithCancel(t.Context())

	ran := make(chan error, 1)
	go func() {
		var i uint32
		ran <- v.Run(ctx, 50*time.Microsecond, func() (Status, uint32) { i++; return StatusDegraded, i })
	}()
	var terminalsSent sync.WaitGroup
	sent := make([]int, firers)
	for g := range firers {
		terminalsSent.Go(func() {
			for range each {
				out := v.SendTerminal()
				switch {
				case out.IsSent():
					sent[g]++
				case out.DropReason() != KernelQueueFull:
					t.Errorf("SendTerminal = %v", out)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	firing := make(chan struct{})
	var runErr error
	go func() { terminalsSent.Wait(); cancel(); runErr = <-ran; close(firing) }()

	var beats, terminals int
	var nonce, lastTS uint64
	accept := func(b []byte) {
		o, err := observe(b)
		switch {
		case err != nil:
			t.Fatalf("observer rejects %x: %v", b, err)
		case o.pid != uint32(os.Getpid()):
			t.Fatalf("frame pid %d", o.pid)
		case o.nonce == NonceTerminal:
			if terminals > 0 && o.timestamp <= lastTS {
				t.Fatalf("terminal timestamp %d after %d", o.timestamp, lastTS)
			}
			terminals++
			lastTS = o.timestamp
		case o.nonce != nonce+1:
			t.Fatalf("beat nonce %d after %d", o.nonce, nonce)
		default:
			beats++
			nonce = o.nonce
		}
	}
	buf := make([]byte, 64)
	deadline := time.After(30 * time.Second)
	for done := false; ; {
		n, err := unix.Read(r.fd, buf)
		if err == nil {
			accept(buf[:n])
			continue
		}
		if done {
			break // every sender had finished before this empty read
		}
		select {
		case <-firing:
			done = true
		case <-deadline:
			t.Fatal("hung: firing did not finish within 30s")
		case <-time.After(time.Millisecond):
		}
	}
	if !errors.Is(runErr, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", runErr)
	}
	wantTerminals := 0
	for _, n := range sent {
		wantTerminals += n
	}
	if terminals != wantTerminals || terminals == 0 {
		t.Fatalf("observer got %d terminal frames, SendTerminal reported %d sent", terminals, wantTerminals)
	}
	if got := v.Stats().Sent; uint64(beats) != got || beats == 0 {
		t.Fatalf("observer got %d beats, Stats.Sent = %d", beats, got)
	}
	t.Logf("observer got %d beats and %d terminal frames", beats, terminals)
}
