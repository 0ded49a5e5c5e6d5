//go:build unix

package varta

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// The classification of send errors (SPEC section 4): which errnos make a
// beat Dropped, and for which reason, and which make it Failed. It is the
// same on every Unix system the package builds for (EWOULDBLOCK is EAGAIN
// on all of them).

// ClassifySendError maps the error of a datagram send to a BeatOutcome by
// the table of SPEC section 4: nil is Sent; EAGAIN, EWOULDBLOCK and ENOBUFS
// are Dropped(KernelQueueFull); ECONNREFUSED and ENOENT Dropped(NoObserver);
// ECONNRESET, ENOTCONN and EPIPE Dropped(PeerGone); ENOSPC
// Dropped(StorageFull); any other errno is Failed with that errno. An error
// that wraps no syscall.Errno is Failed with Errno 0.
func ClassifySendError(err error) BeatOutcome {
	if err == nil {
		return sent
	}
	if errno, ok := err.(syscall.Errno); ok {
		return classifyErrno(errno) // a bare errno needs no errors.As, which allocates
	}
	return classifyErrno(wrappedErrno(err))
}

// wrappedErrno returns the syscall.Errno that err wraps, or 0.
func wrappedErrno(err error) syscall.Errno {
	var errno syscall.Errno
	errors.As(err, &errno)
	return errno
}

// classifyErrno is ClassifySendError for the errno of a failed send; it
// never allocates.
func classifyErrno(errno syscall.Errno) BeatOutcome {
	if errno == 0 {
		return failed(0, opNoErrno)
	}
	if r := dropReasonOf(errno); r != 0 {
		return dropped(r)
	}
	return failed(errno, opSend)
}

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
