//go:build unix

package varta

import (
	"errors"
	"os"
	"syscall"

	"github.com/varta-go/varta/internal/redact"
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
	bind   unix.Sockaddr         // nil for a Unix socket; for UDP the wildcard address of the family, port 0
	addr   unix.Sockaddr         // the observer's UDP address; nil for a Unix socket
	path   *syscall.SockaddrUnix // the observer's Unix socket address; nil for UDP
	name   string                // the observer in errors: its socket path, or its UDP address and port
	file   []byte                // the socket path NUL-terminated, for stat calls that allocate nothing; nil for UDP and abstract names
}

// dial opens a socket of the endpoint's family, binds it to bind if bind
// is not nil, and connects it to the observer. On error nothing stays open.
// Connect and Reconnect word the error (describe).
//
// A socket bound to an ephemeral port (bind with port 0) and connected to
// an address of this host where nothing listens may be given that very
// address: when a UDP observer is down and its port lies in the ephemeral
// range, the kernel can bind the agent's socket to it. Such a socket is
// connected to itself: it takes its own beats as Sent, never sees the ICMP
// error that would make the agent reconnect, and keeps the observer from
// binding its port again. dial refuses it and tries another socket,
// selfConnectTries times at most.
func (e *endpoint) dial() (int, dialErr) {
	for range selfConnectTries {
		fd, err := openSocket(e.family, unix.SOCK_DGRAM)
		if err != nil {
			return -1, dialErr{call: callSocket, errno: errnoOf(err)}
		}
		if e.bind != nil {
			if err := unix.Bind(fd, e.bind); err != nil {
				unix.Close(fd)
				return -1, dialErr{call: callBind, errno: errnoOf(err)}
			}
		}
		if err := e.connect(fd); err != nil {
			unix.Close(fd)
			return -1, dialErr{call: callConnect, errno: errnoOf(err)}
		}
		if e.bind == nil {
			return fd, dialErr{}
		}
		self, errno := boundTo(fd, e.addr)
		if errno != 0 {
			unix.Close(fd)
			return -1, dialErr{call: callGetsockname, errno: errno}
		}
		if !self {
			return fd, dialErr{}
		}
		unix.Close(fd)
	}
	return -1, dialErr{self: true}
}

// connect connects fd to the observer. A Unix socket address goes through
// the syscall package: golang.org/x/sys/unix keeps the last byte of
// sun_path for a terminating NUL, which an abstract address does not have,
// and so refuses the longest abstract names with EINVAL.
func (e *endpoint) connect(fd int) error {
	if e.path != nil {
		return syscall.Connect(fd, e.path)
	}
	return unix.Connect(fd, e.addr)
}

// selfConnectTries bounds the sockets dial opens while the kernel keeps
// binding them to the address they connect to.
const selfConnectTries = 3

// dialErr is why dial opened no socket: the system call that failed and
// its errno, or that every socket it opened was connected to itself. It is
// a value, so that a beat that reconnects allocates nothing for it;
// describe words it when Connect or Reconnect return it. The zero value
// is no error.
type dialErr struct {
	call  sysCall       // the system call that failed
	errno syscall.Errno // its errno
	self  bool          // every socket was bound to the address it connects to
}

// failed reports whether dial opened no socket.
func (e dialErr) failed() bool { return e.call != 0 || e.self }

// sysCall names a system call of dial, as a small value that a beat's
// outcome can carry.
type sysCall uint8

const (
	callSocket sysCall = iota + 1
	callBind
	callConnect
	callGetsockname
)

var sysCallName = [...]string{
	callSocket:      "socket",
	callBind:        "bind",
	callConnect:     "connect",
	callGetsockname: "getsockname",
}

// String returns the system call's name.
func (c sysCall) String() string { return sysCallName[c] }

// errSelfConnected is what an error says when every socket dial opened
// was bound to the address it connects to.
var errSelfConnected = errors.New("the kernel kept binding the agent's socket to the observer's own address, which nothing listens on: start the observer, or give it a port outside the ephemeral range")

// confirmsObserver reports whether a successful dial shows that an
// observer is bound at the address, so that resending a dropped frame on
// the fresh socket can reach it (R3.7). A Unix socket's connect fails
// when nobody is bound; a UDP connect succeeds whether or not anything
// listens, and a refusal arrives only later, as ICMP.
func (e *endpoint) confirmsObserver() bool { return e.family == unix.AF_UNIX }

// reconnectOutcome returns what a beat whose reconnect failed with f
// reads (R3.9): Dropped(NoObserver) when nothing is bound at the address
// (no socket file, or a socket file nobody holds), and Failed, worded as
// Connect words it (describe), for what waiting for the observer does not
// fix: a file that is not a socket (Linux refuses a connect to one with
// ECONNREFUSED, as for a socket nobody holds, so a stat tells them apart),
// a socket of another type, a permission, no file descriptor left. ok is
// false when f says nothing about the observer (no errno, or every UDP
// socket was connected to itself): the beat keeps its send's outcome.
func (e *endpoint) reconnectOutcome(f dialErr) (out BeatOutcome, ok bool) {
	if f.errno == 0 {
		return out, false
	}
	var ft uint32
	if f.errno == unix.ECONNREFUSED || f.errno == unix.ENOTSOCK {
		ft = e.stat().mode
	}
	if r := dropReasonOf(f.errno); r != 0 && !(r == NoObserver && notSocket(ft)) {
		return dropped(r), true
	}
	return BeatOutcome{kind: outcomeFailed, op: opReconnect, call: f.call, ft: ft, errno: f.errno, ep: e}, true
}

// describe turns an error of dial into the error Connect and Reconnect
// return: it names the observer and the system call that failed, and says
// what to do. It wraps an *os.SyscallError, through which errors.Is
// matches the errno.
func (e *endpoint) describe(f dialErr) error {
	return e.describeAs(f, e.stat().mode)
}

// describeAs is describe for a Unix socket path that named a file of type
// ft (unix.S_IFMT bits; 0: none, or a UDP address) when f happened.
func (e *endpoint) describeAs(f dialErr, ft uint32) error {
	prefix := "varta: UDP socket to observer at " + e.name + ": "
	if e.family == unix.AF_UNIX {
		prefix = "varta: connect to observer at " + redact.Quote(e.name) + ": "
	}
	if f.self {
		return &textError{msg: prefix + errSelfConnected.Error(), err: errSelfConnected}
	}
	var hint string
	switch {
	case outOfDescriptors(f.errno):
		hint = noDescriptorHint + ": "
	case e.family == unix.AF_UNIX && f.call == callConnect:
		if hint = unixHint(e.name, f.errno, ft); hint != "" {
			hint += ": "
		}
	case e.family == unix.AF_INET && f.call == callConnect && f.errno == unix.EACCES:
		hint = broadcastHint + ": "
	}
	err := os.NewSyscallError(f.call.String(), f.errno)
	return &textError{msg: prefix + hint + err.Error(), err: err}
}

// errnoOf returns the errno of an error of a system call, or 0 if it is
// not a bare errno. Unlike errors.As it allocates nothing.
func errnoOf(err error) syscall.Errno {
	errno, _ := err.(syscall.Errno)
	return errno
}

// noDescriptorHint is what a connect error says when the process is out of
// file descriptors.
const noDescriptorHint = "no file descriptor left for a new socket: close unused files or raise the limit (ulimit -n)"

// broadcastHint is what a connect error says when the system refuses an
// IPv4 address to a UDP socket (EACCES): it does so for a broadcast
// address, which only the system can tell (a subnet's broadcast address
// depends on its netmask).
const broadcastHint = "a broadcast address needs SO_BROADCAST, which an agent does not set: name the observer's own address"

// outOfDescriptors reports whether errno says the process or the system
// has no file descriptor left.
func outOfDescriptors(errno syscall.Errno) bool {
	return errno == unix.EMFILE || errno == unix.ENFILE
}
