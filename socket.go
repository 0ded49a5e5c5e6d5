//go:build unix

package varta

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// dgramSocket is a connected, non-blocking, close-on-exec datagram socket
// opened with raw syscalls: it is not registered with Go's network poller,
// so a full receiver queue returns EAGAIN at once instead of parking the
// calling goroutine.
type dgramSocket struct {
	fd int // -1 when no socket is open
}

// connectSocket opens a socket of the given family, binds it to bind if
// bind is not nil, and connects it to addr. On error nothing stays open
// and the error is the bare errno or errSelfConnected: returning either
// allocates nothing, so a beat that reconnects stays allocation free.
// Connect and Reconnect add the context (peer.describe).
//
// A socket bound to an ephemeral port (bind with port 0) and connected to
// an address of this host where nothing listens may be given that very
// address: when a UDP observer is down and its port lies in the ephemeral
// range, the kernel can bind the agent's socket to it. Such a socket is
// connected to itself: it takes its own beats as Sent, never sees the ICMP
// error that would make the agent reconnect, and keeps the observer from
// binding its port again. connectSocket refuses it and tries another
// socket, selfConnectTries times at most.
func connectSocket(family int, bind, addr unix.Sockaddr) (int, error) {
	for range selfConnectTries {
		fd, err := openSocket(family, unix.SOCK_DGRAM)
		if err != nil {
			return -1, err
		}
		if bind != nil {
			if err := unix.Bind(fd, bind); err != nil {
				unix.Close(fd)
				return -1, err
			}
		}
		if err := unix.Connect(fd, addr); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if bind == nil || !boundTo(fd, addr) {
			return fd, nil
		}
		unix.Close(fd)
	}
	return -1, errSelfConnected
}

// selfConnectTries bounds the sockets connectSocket opens while the kernel
// keeps binding them to the address they connect to.
const selfConnectTries = 3

// errSelfConnected is the error of connectSocket when every socket it
// opened was bound to the address it connects to. A package-level value:
// returning it allocates nothing.
var errSelfConnected = errors.New("the kernel kept binding the agent's socket to the observer's own address, which nothing listens on: start the observer, or give it a port outside the ephemeral range")

// noDescriptorHint is what a connect error says when the process is out of
// file descriptors.
const noDescriptorHint = "no file descriptor left for a new socket: close unused files or raise the limit (ulimit -n)"

// outOfDescriptors reports whether errno says the process or the system
// has no file descriptor left.
func outOfDescriptors(errno syscall.Errno) bool {
	return errno == unix.EMFILE || errno == unix.ENFILE
}

// replace makes fd the socket, closing the current one.
func (s *dgramSocket) replace(fd int) {
	s.close()
	s.fd = fd
}

// send writes b as one datagram and classifies the result.
func (s *dgramSocket) send(b []byte) BeatOutcome {
	err := unix.Send(s.fd, b, sendFlags)
	if err == nil {
		return sent
	}
	errno, _ := err.(syscall.Errno)
	return classifyErrno(errno)
}

// close closes the socket if one is open.
func (s *dgramSocket) close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
