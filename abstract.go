//go:build unix

package varta

import (
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// What abstract socket names need. On Linux a socket path with a leading
// '@' names an abstract socket, which has no file: Connect uses it as
// given (it is never made absolute), no error about it speaks of a file,
// and nothing stats it.

// abstractNames is true where a leading '@' names an abstract socket:
// Linux, and Android, which runs it. Elsewhere '@' is an ordinary file
// name character.
const abstractNames = runtime.GOOS == "linux" || runtime.GOOS == "android"

// isAbstract reports whether path names an abstract socket.
func isAbstract(path string) bool {
	return abstractNames && path != "" && path[0] == '@'
}

// maxAbstractLen is the longest abstract name, after its '@', that
// sun_path holds: its first byte is the NUL that the '@' stands for, and
// an abstract address has no terminating NUL (107 bytes on Linux).
const maxAbstractLen = len(unix.RawSockaddrUnix{}.Path) - 1

// checkAbstractName refuses an abstract name that is empty after its '@',
// or too long for a Unix socket address.
func checkAbstractName(name string) error {
	switch {
	case name == "@":
		return invalidPath("the abstract name after '@' is empty")
	case len(name)-1 > maxAbstractLen:
		return invalidPath("the abstract name after '@' is " + strconv.Itoa(len(name)-1) + " bytes, longer than the " +
			strconv.Itoa(maxAbstractLen) + " a Unix socket address holds; use a shorter name")
	}
	return nil
}
