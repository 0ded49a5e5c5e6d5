package varta

// Pins the texts of the untagged errors (bad pid, Connect over a Unix
// socket) so that a change to one is a deliberate one; the shared table
// and checker used by the tagged errtext files.

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// errorCase is an error a call returned, the text it must read, and the
// error errors.Is must match in it.
type errorCase struct {
	name string
	err  error
	want string
	is   error
}

// checkErrorTexts fails for every case whose error does not read exactly
// as wanted or does not match its sentinel.
func checkErrorTexts(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%s: error reads\n%q\nwant\n%q", tc.name, got, tc.want)
		}
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: %v does not match %v", tc.name, tc.err, tc.is)
		}
	}
}

// TestBadPIDErrorReadsAsBefore pins the text of the error for a pid no
// frame can carry.
func TestBadPIDErrorReadsAsBefore(t *testing.T) {
	_, err := checkPID(-2)
	checkErrorTexts(t, []errorCase{
		{"negative pid", err, "varta: pid -2 does not fit a VLP frame", err},
	})
}

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
		{"missing socket", connect(missing), "varta: connect to observer at " + strconv.Quote(missing) + ": no socket file there: start the observer or fix the path: connect: no such file or directory", fs.ErrNotExist},
	})
}
