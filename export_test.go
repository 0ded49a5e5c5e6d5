package varta

import "time"

// Test hooks: they replace the agent's sources of pid and time, and move
// its committed nonce, so tests can simulate a fork, a clock that goes
// backwards and a nonce about to wrap.

func (v *Varta) setPIDSource(f func() int) {
	v.mu.Lock()
	v.pidHook = f
	v.mu.Unlock()
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
