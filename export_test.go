package varta

// Hooks into the agent's unexported state, for tests only: they replace
// its sources of pid and time, move its committed nonce, clear or hide the
// process's fork mark, reach or replace its socket, and stand in for the
// kernel's send and connect, so tests can simulate a fork, a clock that
// goes backwards, a nonce about to wrap, a socket in any state and a
// kernel that refuses at will. Fixtures built on the public API live in
// helpers_test.go.

import (
	"testing"
	"time"
)

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

// requireForkMark skips the test, saying why, where the process could not
// make its fork mark (and fails it where core tests are required: see
// skipCore).
func requireForkMark(t *testing.T) {
	t.Helper()
	if processForkMark() == nil {
		skipCore(t, "no fork mark in this process: %v", forkMarkErr)
	}
}

// withoutForkMark makes agents connected until the test ends read the pid
// instead of the mark, as they do where the mark cannot be made.
func withoutForkMark(t *testing.T) {
	m := processForkMark()
	forkMarkWord = nil
	t.Cleanup(func() { forkMarkWord = m })
}

// setClock makes the agent read the time from f.
func (v *Varta) setClock(f func() time.Time) {
	v.mu.Lock()
	v.clockHook = f
	v.mu.Unlock()
}

// tickClock makes each clock reading of v come one reconnect spacing
// after the one before, as if the agent beat at that cadence: every beat
// may look at the observer's path again (R3.9).
func (v *Varta) tickClock() { v.stepClock(time.Duration(reconnectSpacing)) }

// stepClock makes each clock reading of v come d after the one before, as
// if the agent beat every d (a beat reads the clock once).
func (v *Varta) stepClock(d time.Duration) {
	now := time.Now()
	v.setClock(func() time.Time {
		now = now.Add(d)
		return now
	})
}

// freezeClock makes every clock reading of v the same, as if all its
// beats came within one reconnect spacing.
func (v *Varta) freezeClock() {
	now := time.Now()
	v.setClock(func() time.Time { return now })
}

// advanceClock moves the clock of v on by d from its next reading, and
// stops it there.
func (v *Varta) advanceClock(d time.Duration) {
	v.mu.Lock()
	now := v.clockHook().Add(d)
	v.clockHook = func() time.Time { return now }
	v.mu.Unlock()
}

// forgetBound makes v take the socket file at its path for another one
// than it connected to, as when an observer replaced the one it reaches.
func (v *Varta) forgetBound() {
	v.mu.Lock()
	v.bound = pathFile{mode: v.bound.mode, dev: v.bound.dev, ino: v.bound.ino + 1}
	v.mu.Unlock()
}

// setCommittedNonce makes n the nonce the agent last committed.
func (v *Varta) setCommittedNonce(n uint64) {
	v.mu.Lock()
	v.nonce = n
	v.mu.Unlock()
}

// socketFD returns the agent's socket descriptor.
func (v *Varta) socketFD() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fd
}

// replaceSocket closes the socket of v and hands it fd instead, as a
// reconnect does. It allocates nothing.
func (v *Varta) replaceSocket(fd int) {
	v.mu.Lock()
	v.swapSocket(fd)
	v.mu.Unlock()
}

// interpose makes the agent send with send and reconnect with dial, in
// place of the kernel's send and of dialing its observer.
func (v *Varta) interpose(send func(wire []byte) BeatOutcome, dial func() (int, dialErr)) {
	v.mu.Lock()
	v.sendHook, v.dialHook = send, dial
	v.mu.Unlock()
}
