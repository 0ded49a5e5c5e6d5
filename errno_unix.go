//go:build unix

package varta

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Errnos the agent reports itself (invalid input, a closed agent), and
// EPERM, whose send error says what it means.
const (
	errInvalid      = unix.EINVAL
	errBadFD        = unix.EBADF
	errNotPermitted = unix.EPERM
)

// dropReasonOf returns the DropReason for errno, or 0 if a send that failed
// with errno is Failed rather than Dropped (SPEC section 4).
func dropReasonOf(errno syscall.Errno) DropReason {
	switch errno {
	case unix.EAGAIN, unix.ENOBUFS: // EWOULDBLOCK == EAGAIN on every Unix
		return KernelQueueFull
	case unix.ECONNREFUSED, unix.ENOENT:
		return NoObserver
	case unix.ECONNRESET, unix.ENOTCONN, unix.EPIPE:
		return PeerGone
	case unix.ENOSPC:
		return StorageFull
	}
	return 0
}
