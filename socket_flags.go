//go:build unix && !(aix || darwin)

package varta

import "golang.org/x/sys/unix"

// sendFlags keeps a send from raising SIGPIPE. Go programs ignore SIGPIPE
// on such sockets anyway, but a Go library linked into a C program
// (c-archive, c-shared) does not install that handling.
const sendFlags = unix.MSG_NOSIGNAL

// openSocket opens a socket that is non-blocking and close-on-exec from
// the start, so no exec in another goroutine can inherit it.
func openSocket(family, typ int) (int, error) {
	return unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}
