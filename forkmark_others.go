//go:build unix && !linux

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

// boundToByName is boundTo through unix.Getsockname, which allocates the
// address it returns.
func boundToByName(fd int, addr unix.Sockaddr) bool {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false
	}
	switch want := addr.(type) {
	case *unix.SockaddrInet4:
		got, ok := sa.(*unix.SockaddrInet4)
		return ok && got.Port == want.Port && got.Addr == want.Addr
	case *unix.SockaddrInet6:
		got, ok := sa.(*unix.SockaddrInet6)
		return ok && got.Port == want.Port && got.Addr == want.Addr
	}
	return false
}
