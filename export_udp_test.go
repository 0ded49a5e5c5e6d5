//go:build udp || secureudp

package varta

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Hooks for the UDP tests: reach the plain UDP transport's socket, so the
// socket hooks of export_test.go work on UDP agents too, and hand an agent
// another socket for a while.

// socket returns the transport's socket.

// useSocket hands fd to the agent in place of its socket; the agent owns
// fd from then on. The returned restore puts the agent's socket back and
// closes fd; if the agent has replaced fd meanwhile (a reconnect closes
// it), restore closes the socket it put aside instead. Restore also runs at
// cleanup if the test has not called it.
func (v *Varta) useSocket(t *testing.T, fd int) (restore func()) {
	t.Helper()
	v.mu.Lock()
	s := v.tr.(interface{ socket() *dgramSocket }).socket()
	old := s.fd
	s.fd = fd
	v.mu.Unlock()
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.tr == nil {
			unix.Close(old)
			return
		}
		s := v.tr.(interface{ socket() *dgramSocket }).socket()
		if s.fd == fd {
			s.fd = old
			unix.Close(fd)
		} else {
			unix.Close(old)
		}
	}
	t.Cleanup(restore)
	return restore
}
