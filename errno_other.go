//go:build !unix

package varta

import "syscall"

// Errnos the agent reports itself (invalid input, a closed agent), and
// EPERM, whose send error says what it means.
const (
	errInvalid      = syscall.EINVAL
	errBadFD        = syscall.EBADF
	errNotPermitted = syscall.EPERM
)

// dropReasonOf returns the DropReason for errno, or 0 if a send that failed
// with errno is Failed rather than Dropped (SPEC section 4). On systems
// without golang.org/x/sys/unix the syscall package's values are used, so
// ClassifySendError behaves the same for errors built from them.
func dropReasonOf(errno syscall.Errno) DropReason {
	switch errno {
	case syscall.EAGAIN, syscall.ENOBUFS: // EWOULDBLOCK == EAGAIN
		return KernelQueueFull
	case syscall.ECONNREFUSED, syscall.ENOENT:
		return NoObserver
	case syscall.ECONNRESET, syscall.ENOTCONN, syscall.EPIPE:
		return PeerGone
	case syscall.ENOSPC:
		return StorageFull
	}
	return 0
}
