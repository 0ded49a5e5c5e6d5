//go:build udp || secureudp

package varta

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Hooks for the UDP tests: hand an agent another socket for a while.

// useSocket hands fd to the agent in place of its socket; the agent owns
// fd from then on. The returned restore puts the agent's socket back and
// closes fd; if the agent has replaced fd meanwhile (a reconnect closes
// it), restore closes the socket it put aside instead. Restore also runs at
// cleanup if the test has not called it.
func (v *Varta) useSocket(t *testing.T, fd int) (restore func()) {
	t.Helper()
	v.mu.Lock()
	old := v.fd
	v.fd = fd
	v.mu.Unlock()
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.fd == fd {
			v.fd = old
			unix.Close(fd)
		} else {
			unix.Close(old)
		}
	}
	t.Cleanup(restore)
	return restore
}
