//go:build udp || secureudp

package varta

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Hooks for the UDP tests: hand an agent another socket for a while, and
// control how it looks its observer's name up.

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

// resolveWith makes agents connected until the test ends look names up
// with r instead of net.DefaultResolver.
func resolveWith(t *testing.T, r nameResolver) {
	t.Helper()
	testResolver = r
	t.Cleanup(func() { testResolver = nil })
}

// setLookupTimes sets, for agents connected until the test ends, the
// period of their name lookups and the least gap between lookups that
// beats ask for.
func setLookupTimes(t *testing.T, every, gap time.Duration) {
	t.Helper()
	savedEvery, savedGap := lookupEvery, lookupGap
	lookupEvery, lookupGap = every, gap
	t.Cleanup(func() { lookupEvery, lookupGap = savedEvery, savedGap })
}

// watching reports whether the agent follows its observer's name, and
// returns the channel closed once its goroutine has ended.
func (v *Varta) watching() (done <-chan struct{}, ok bool) {
	if v.watch == nil {
		return nil, false
	}
	return v.watch.done, true
}
