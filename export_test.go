package varta

import (
	"testing"
	"time"
)

// Test hooks: they replace the agent's sources of pid and time, and move
// its committed nonce, so tests can simulate a fork, a clock that goes
// backwards and a nonce about to wrap.

// setPIDSource simulates a fork into a process whose pid f returns: the
// agent reads its pid from f from now on, and the process's fork mark is
// cleared, as the kernel clears it in a forked child, so that agents that
// check the mark (ForkCheckMark) notice the fork too.
func (v *Varta) setPIDSource(f func() int) {
	v.mu.Lock()
	v.pidHook = f
	v.mu.Unlock()
	clearForkMark()
}

// clearForkMark zeroes the process's fork mark, if it has one, as the
// kernel does in a forked child. Every agent of the process that checks
// the mark sees a fork at its next beat.
func clearForkMark() {
	if m := processForkMark(); m != nil {
		m.Store(0)
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

// requireForkMark skips the test, saying why, where the process could not
// make its fork mark.
func requireForkMark(t *testing.T) {
	t.Helper()
	if processForkMark() == nil {
		t.Skipf("no fork mark in this process: %v", forkMarkErr)
	}
}

// withoutForkMark makes agents connected until the test ends read the pid
// instead of the mark, as they do where the mark cannot be made.
func withoutForkMark(t *testing.T) {
	m := processForkMark()
	forkMarkWord = nil
	t.Cleanup(func() { forkMarkWord = m })
}

func (v *Varta) setClock(f func() time.Time) {
	v.mu.Lock()
	v.clockHook = f
	v.mu.Unlock()
}

func (v *Varta) setCommittedNonce(n uint64) {
	v.mu.Lock()
	v.nonce = n
	v.mu.Unlock()
}
