//go:build unix

package varta

import (
	pathpkg "path"
	"strconv"
	"strings"
	"syscall"

	"github.com/varta-go/varta/internal/redact"
	"golang.org/x/sys/unix"
)

// maxPathLen is the longest socket path the platform's sun_path holds with
// its terminating NUL: 107 bytes on Linux, 103 on macOS and the BSDs.
const maxPathLen = len(unix.RawSockaddrUnix{}.Path) - 1

// Connect returns an agent that sends beats to the observer bound to the
// Unix datagram socket at path (the default transport, SPEC R5.1). A
// relative path is made absolute once, here; on Linux a leading '@' names an
// abstract socket. A bad path fails with an error matching [ErrInvalidPath]
// before any socket is opened, and an observer that cannot be reached with
// an error that says why (see "Unix sockets" in the package documentation).
// Connect starts no goroutine; Close releases the socket.
func Connect(path string) (*Varta, error) {
	name, err := socketName(path)
	if err != nil {
		return nil, err
	}
	ep := endpoint{family: unix.AF_UNIX, path: &syscall.SockaddrUnix{Name: name}, name: name}
	if !isAbstract(name) {
		ep.file = append([]byte(name), 0)
	}
	return newAgent(ep, nil)
}

// socketName checks path and returns the name to connect to: an abstract
// name as given, any other path made absolute.
func socketName(path string) (string, error) {
	switch {
	case path == "":
		return "", invalidPath("the path is empty")
	case strings.IndexByte(path, 0) >= 0:
		return "", invalidPath(redact.Quote(path) + " contains a NUL byte")
	case isAbstract(path):
		if err := checkAbstractName(path); err != nil {
			return "", err
		}
		return path, nil
	}
	name := path
	if path[0] != '/' {
		wd, err := unix.Getwd()
		if err != nil {
			return "", &textError{msg: "varta: socket path " + redact.Quote(path) + " is relative and the working directory cannot be read to make it absolute: " + err.Error(), err: err}
		}
		name = pathpkg.Join(wd, path)
	}
	if len(name) > maxPathLen {
		what := strconv.Itoa(len(name)) + " bytes"
		if name != path {
			what = "the absolute path " + redact.Quote(name) + " is " + what // a relative path does not shorten the address
		}
		return "", invalidPath(what + ", longer than the " + strconv.Itoa(maxPathLen) +
			" a Unix socket address holds here; bind the observer in a directory with a shorter path, or reach the socket through a symlink with a short absolute path")
	}
	return name, nil
}

// invalidPath returns an error matching ErrInvalidPath that says why.
func invalidPath(why string) error {
	return &textError{msg: ErrInvalidPath.Error() + ": " + why, err: ErrInvalidPath}
}

// unixHint says what an errno of connecting to the Unix socket at path
// means, where path named a file of type ft (unix.S_IFMT bits, 0 for none
// or an abstract name): a missing socket file, a stale one, a file that is
// not a socket, a permission problem, a socket that takes datagrams from
// another peer only. It returns "" for an errno that needs no words beyond
// its own.
func unixHint(path string, errno syscall.Errno, ft uint32) string {
	abstract := isAbstract(path)
	switch {
	case errno == unix.ENOENT:
		return "no socket file there: start the observer or fix the path"
	case (errno == unix.ENOTSOCK || errno == unix.ECONNREFUSED) && ft == unix.S_IFDIR:
		return "the path names a directory, not a socket: name the observer's socket file in it"
	case errno == unix.ENOTSOCK, errno == unix.ECONNREFUSED && notSocket(ft):
		return "the file there is not a socket: fix the path, or remove the file and restart the observer"
	case errno == unix.ECONNREFUSED && abstract:
		return "nobody is bound to this abstract socket name (abstract names have no file): start the observer or fix the name"
	case errno == unix.ECONNREFUSED:
		return "the socket file exists but nobody is listening on it: the observer has stopped"
	case errno == unix.EACCES && !abstract:
		// A missing write permission on the socket or search permission
		// on a directory is EACCES; EPERM never means either.
		return "permission denied: this user needs write permission on the socket and search permission on its directories"
	case errno == unix.EACCES:
		return "access denied by a security policy (such as SELinux or AppArmor)"
	case errno == unix.EPERM:
		return "the socket there refuses this agent, and not for its file permissions: it is connected to another peer and takes datagrams from that peer only (an observer's socket is never connected), or a security policy forbids the connection"
	case errno == unix.EPROTOTYPE:
		return "the socket there is not a datagram socket"
	}
	return ""
}

// notSocket reports whether a file of type ft (unix.S_IFMT bits, 0 for
// none) is there and is not a socket.
func notSocket(ft uint32) bool {
	return ft != 0 && ft != unix.S_IFSOCK
}

// pathFile is what a stat found at a Unix socket path: the type and the
// identity of the file there. The zero value says there was none, or that
// the endpoint has no path to stat (an abstract name, a UDP address).
type pathFile struct {
	mode     uint32 // the type bits, unix.S_IFMT
	dev, ino uint64
}

// stat returns what the endpoint's socket path names now (statPath).
func (e *endpoint) stat() pathFile {
	if e.file == nil {
		return pathFile{}
	}
	return statPath(e.name, e.file)
}

// sameFile reports whether f and g are the same file.
func (f pathFile) sameFile(g pathFile) bool { return f.dev == g.dev && f.ino == g.ino }
