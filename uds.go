//go:build unix

package varta

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxPathLen is the longest socket path the platform's sun_path holds with
// its terminating NUL: 107 bytes on Linux, 103 on macOS and the BSDs.
const maxPathLen = len(unix.RawSockaddrUnix{}.Path) - 1

// ErrInvalidPath is matched (errors.Is) by the error Connect returns for a
// path that is empty, too long for a Unix socket address, or contains NUL.
var ErrInvalidPath = errors.New("varta: invalid socket path")

// udsTransport sends plain 32-byte frames over a Unix datagram socket.
type udsTransport struct {
	sock dgramSocket
	addr unix.SockaddrUnix // kept so a reconnect allocates nothing
}

var _ transport = (*udsTransport)(nil)

// Connect returns an agent that sends beats to the observer bound to the
// Unix datagram socket at path (the default transport, SPEC R5.1).
//
// The path is checked before any system call: it must be non-empty,
// contain no NUL byte and fit the platform's socket address (107 bytes on
// Linux, 103 on macOS and the BSDs); otherwise the error matches
// ErrInvalidPath. On Linux a leading '@' names an abstract socket. Connect
// fails with ErrInitProcess when the process is pid 1. When the observer
// cannot be reached the error says whether the socket file is missing
// (errors.Is(err, fs.ErrNotExist)), nobody is listening
// (syscall.ECONNREFUSED) or permission was denied (fs.ErrPermission).
//
// Connect starts no goroutine. Close releases the socket.
func Connect(path string) (*Varta, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return newAgent(&udsTransport{sock: dgramSocket{fd: -1}, addr: unix.SockaddrUnix{Name: path}})
}

func checkPath(path string) error {
	switch {
	case path == "":
		return wrap("", ErrInvalidPath, ": the path is empty")
	case strings.IndexByte(path, 0) >= 0:
		return wrap("", ErrInvalidPath, ": "+strconv.Quote(path)+" contains a NUL byte")
	case len(path) > maxPathLen:
		return wrap("", ErrInvalidPath, ": "+strconv.Itoa(len(path))+" bytes is longer than the "+strconv.Itoa(maxPathLen)+" a Unix socket address holds here; use a shorter path (a symlinked or relative directory)")
	}
	return nil
}

func (t *udsTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	return t.sock.send(frame[:])
}

// sendTerminal sends the terminal frame as it is: plain frames need
// nothing of pid and ts beyond what the frame carries.
func (t *udsTransport) sendTerminal(frame *[FrameBytes]byte, _ uint32, _ uint64) BeatOutcome {
	return t.sock.send(frame[:])
}

func (t *udsTransport) reconnect(uint32) error {
	fd, err := connectSocket(unix.AF_UNIX, nil, &t.addr)
	if err != nil {
		return err
	}
	t.sock.replace(fd)
	return nil
}

// describe says what a failed connect means: a missing socket file, a
// stale one, a file that is not a socket, a permission problem.
func (t *udsTransport) describe(err error) error {
	var hint string
	switch {
	case errors.Is(err, unix.ENOENT):
		hint = "no socket file there: start the observer or fix the path"
	case errors.Is(err, unix.ENOTSOCK), errors.Is(err, unix.ECONNREFUSED) && notSocket(t.addr.Name):
		hint = "the file there is not a socket: fix the path, or remove the file and restart the observer"
	case errors.Is(err, unix.ECONNREFUSED):
		hint = "the socket file exists but nobody is listening on it: the observer has stopped"
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		hint = "permission denied: this user needs write permission on the socket and search permission on its directories"
	case outOfDescriptors(errnoOf(err)):
		hint = noDescriptorHint
	case errors.Is(err, unix.EPROTOTYPE):
		hint = "the socket there is not a datagram socket"
	default:
		return wrap("varta: connect to observer at "+strconv.Quote(t.addr.Name)+": ", err, "")
	}
	return wrap("varta: connect to observer at "+strconv.Quote(t.addr.Name)+": "+hint+": ", err, "")
}

// notSocket reports whether path names a file that is not a socket. An
// abstract name (leading '@' on Linux) names no file.
func notSocket(path string) bool {
	if path[0] == '@' {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Type() != fs.ModeSocket
}

func (t *udsTransport) close() error {
	return t.sock.close()
}
