package varta

import (
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestConnectErrorsReadAsBefore pins the whole text of the errors of
// Connect, which are written without fmt, and that they still
// match their sentinel or cause.
func TestConnectErrorsReadAsBefore(t *testing.T) {
	connect := func(path string) error {
		_, err := Connect(path)
		return err
	}
	missing := filepath.Join(socketDir(t), "missing.sock")
	long := "/" + strings.Repeat("a", maxPathLen)
	checkErrorTexts(t, []errorCase{
		{"empty path", connect(""), "varta: invalid socket path: the path is empty", ErrInvalidPath},
		{"NUL in path", connect("a\x00b"), `varta: invalid socket path: "a\x00b" contains a NUL byte`, ErrInvalidPath},
		{"long path", connect(long), "varta: invalid socket path: " + strconv.Itoa(len(long)) + " bytes, longer than the " + strconv.Itoa(maxPathLen) + " a Unix socket address holds here; bind the observer in a directory with a shorter path, or reach the socket through a symlink with a short absolute path", ErrInvalidPath},
		{"missing socket", connect(missing), "varta: connect to observer at " + strconv.Quote(missing) + ": no socket file there: start the observer or fix the path: no such file or directory", fs.ErrNotExist},
	})
}
