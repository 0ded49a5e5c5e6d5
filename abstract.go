//go:build unix

package varta

import (
	"runtime"
	"strconv"
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

// checkAbstractName refuses an abstract name that is empty after its '@',
// or too long for a Unix socket address.
func checkAbstractName(name string) error {
	switch {
	case name == "@":
		return invalidPath("the abstract name after '@' is empty")
	case len(name) > maxPathLen:
		return invalidPath("the abstract name is " + strconv.Itoa(len(name)) + " bytes, longer than the " +
			strconv.Itoa(maxPathLen) + " a Unix socket address holds; use a shorter name")
	}
	return nil
}
