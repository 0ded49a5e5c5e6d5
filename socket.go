//go:build unix

package varta

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// endpoint is an observer's address: a Unix socket path or a UDP address,
// as the socket addresses an agent connects with, built once so that a
// reconnect allocates nothing, and as the name its errors give it.
//
// Its sockets are connected, non-blocking and close-on-exec datagram
// sockets opened with raw system calls: they are not registered with Go's
// network poller, so a full receiver queue returns EAGAIN at once instead
// of parking the calling goroutine.
type endpoint struct {
	family int
	bind   unix.Sockaddr // nil for a Unix socket; for UDP the wildcard address of the family, port 0
	addr   unix.Sockaddr // the observer's address
	name   string        // the observer in errors: its socket path, or its UDP address and port
}

// dial opens a socket of the endpoint's family, binds it to bind if bind
// is not nil, and connects it to the observer. On error nothing stays open
// and the error is the bare errno or errSelfConnected: returning either
// allocates nothing, so a beat that reconnects stays allocation free.
// Connect and Reconnect add the context (describe).
//
// A socket bound to an ephemeral port (bind with port 0) and connected to
// an address of this host where nothing listens may be given that very
// address: when a UDP observer is down and its port lies in the ephemeral
// range, the kernel can bind the agent's socket to it. Such a socket is
// connected to itself: it takes its own beats as Sent, never sees the ICMP
// error that would make the agent reconnect, and keeps the observer from
// binding its port again. dial refuses it and tries another socket,
// selfConnectTries times at most.
func (e *endpoint) dial() (int, error) {
	for range selfConnectTries {
		fd, err := openSocket(e.family, unix.SOCK_DGRAM)
		if err != nil {
			return -1, err
		}
		if e.bind != nil {
			if err := unix.Bind(fd, e.bind); err != nil {
				unix.Close(fd)
				return -1, err
			}
		}
		if err := unix.Connect(fd, e.addr); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if e.bind == nil || !boundTo(fd, e.addr) {
			return fd, nil
		}
		unix.Close(fd)
	}
	return -1, errSelfConnected
}

// selfConnectTries bounds the sockets dial opens while the kernel keeps
// binding them to the address they connect to.
const selfConnectTries = 3

// errSelfConnected is the error of dial when every socket it opened was
// bound to the address it connects to. A package-level value: returning
// it allocates nothing.
var errSelfConnected = errors.New("the kernel kept binding the agent's socket to the observer's own address, which nothing listens on: start the observer, or give it a port outside the ephemeral range")

// confirmsObserver reports whether a successful dial shows that an
// observer is bound at the address, so that resending a dropped frame on
// the fresh socket can reach it (R3.7). A Unix socket's connect fails
// when nobody is bound; a UDP connect succeeds whether or not anything
// listens, and a refusal arrives only later, as ICMP.
func (e *endpoint) confirmsObserver() bool { return e.family == unix.AF_UNIX }

// describe turns an error of dial into the error Connect and Reconnect
// return: it names the observer and says what to do.
func (e *endpoint) describe(err error) error {
	prefix := "varta: UDP socket to observer at " + e.name + ": "
	var hint string
	if e.family == unix.AF_UNIX {
		prefix = "varta: connect to observer at " + strconv.Quote(e.name) + ": "
		hint = unixHint(e.name, errnoOf(err))
	}
	switch {
	case err == errSelfConnected:
		return &textError{msg: prefix + err.Error(), err: err}
	case errnoOf(err) == 0:
		return err // not the socket's: it already says what it is about
	case outOfDescriptors(errnoOf(err)):
		hint = noDescriptorHint
	}
	if hint == "" {
		return &textError{msg: prefix + err.Error(), err: err}
	}
	return &textError{msg: prefix + hint + ": " + err.Error(), err: err}
}

// noDescriptorHint is what a connect error says when the process is out of
// file descriptors.
const noDescriptorHint = "no file descriptor left for a new socket: close unused files or raise the limit (ulimit -n)"

// outOfDescriptors reports whether errno says the process or the system
// has no file descriptor left.
func outOfDescriptors(errno syscall.Errno) bool {
	return errno == unix.EMFILE || errno == unix.ENFILE
}
