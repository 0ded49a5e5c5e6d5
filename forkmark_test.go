package varta

// Proves that every agent notices a fork by itself, in mark mode without
// reading the pid, and that a fork into an unsendable pid fails without
// sending.

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestMarkModeBeatsReadNoPID pins what the mark buys: with the mark, a
// beat that finds it in place does not read the pid; without it, every
// beat does (R3.2).
func TestMarkModeBeatsReadNoPID(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		reads := 0
		v.mu.Lock()
		v.pidHook = func() int { reads++; return os.Getpid() }
		v.mu.Unlock()
		for range 5 {
			if out := v.Beat(StatusOK, 0); !out.IsSent() {
				t.Fatalf("beat: %v", out)
			}
			r.recv()
		}
		want := 5
		if mode == ForkCheckMark {
			want = 0
		}
		if reads != want {
			t.Fatalf("5 beats read the pid %d times, want %d", reads, want)
		}
	})
}

// TestEveryAgentNoticesTheForkByItself clears the mark as a fork into a
// child with the parent's pid number would (R6.8): each agent of the
// process notices on its own, whichever beats first re-marking the page,
// and an agent connected in the child sees no fork.
func TestEveryAgentNoticesTheForkByItself(t *testing.T) {
	requireForkMark(t)
	r := listen(t)
	a, b := connectTo(t, r), connectTo(t, r)
	for _, v := range []*Varta{a, b, a, b} {
		v.Beat(StatusOK, 0)
		r.recv()
	}
	clearForkMark()
	c := connectTo(t, r)
	for i, v := range []*Varta{a, b, c, a, b, c} {
		if out := v.Beat(StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		o, err := observe(r.recv())
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(1 + i/3)
		if o.pid != uint32(os.Getpid()) || o.nonce != want {
			t.Fatalf("beat %d after the fork: pid %d nonce %d, want nonce %d", i, o.pid, o.nonce, want)
		}
	}
	for name, v := range map[string]*Varta{"a": a, "b": b} {
		if got := v.ForkRecoveries(); got != 1 {
			t.Errorf("agent %s: ForkRecoveries = %d, want 1", name, got)
		}
	}
	if got := c.ForkRecoveries(); got != 0 {
		t.Errorf("agent connected after the fork: ForkRecoveries = %d, want 0", got)
	}
}

func TestForkCheckString(t *testing.T) {
	for c, want := range map[ForkCheck]string{ForkCheckPID: "pid", ForkCheckMark: "mark"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", c, got, want)
		}
	}
	var nilAgent *Varta
	if got := nilAgent.ForkCheck(); got != ForkCheckPID {
		t.Errorf("nil agent: ForkCheck = %v", got)
	}
}

// TestForkIntoAnUnsendablePIDFailsWithoutSending: a child whose pid no
// frame can carry (1, as a container's init) gets Failed(EINVAL) from
// every beat and terminal frame, and nothing reaches the observer.
func TestForkIntoAnUnsendablePIDFailsWithoutSending(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		expectForkCheck(t, v, mode)
		v.setPIDSource(func() int { return 1 })
		for range 2 {
			if out := v.Beat(StatusOK, 0); !out.IsFailed() || !errors.Is(out.Err(), syscall.EINVAL) {
				t.Fatalf("beat as pid 1 = %v, want Failed(EINVAL)", out)
			}
			if out := v.SendTerminal(); !out.IsFailed() {
				t.Fatalf("SendTerminal as pid 1 = %v, want Failed", out)
			}
		}
		r.expectNothing()
		if got := v.Stats(); got.Failed != 2 || got.ForkRecoveries != 0 {
			t.Fatalf("Stats = %+v, want 2 failed and no recovery", got)
		}
	})
}
