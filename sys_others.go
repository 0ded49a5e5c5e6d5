//go:build !linux

package varta

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// newForkMark reports that this system offers no wipe-on-fork memory, so
// beats read the pid.
func newForkMark() (*atomic.Uint64, error) {
	return nil, errors.New("varta: no wipe-on-fork memory on this system")
}

// abstractNames is false: this system has no abstract socket names, and a
// leading '@' is part of a file name.
const abstractNames = false

// boundTo reports whether fd is bound to addr. unix.Getsockname allocates
// the address it returns: on these systems a UDP reconnect allocates that
// much.
func boundTo(fd int, addr unix.Sockaddr) bool {
	return boundToByName(fd, addr)
}
