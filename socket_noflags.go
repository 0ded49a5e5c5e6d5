//go:build unix && (aix || darwin)

package varta

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sendFlags is 0: these systems have no MSG_NOSIGNAL everywhere the
// package runs (macOS has SO_NOSIGPIPE instead), and Go programs ignore
// SIGPIPE on such sockets.
const sendFlags = 0

// openSocket opens a socket and makes it non-blocking and close-on-exec.
// These systems have no SOCK_NONBLOCK or SOCK_CLOEXEC, so the flags are set
// afterwards, holding syscall.ForkLock so that no exec in between inherits
// the descriptor.
func openSocket(family, typ int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, typ, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
