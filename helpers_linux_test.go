package varta

// Fixtures shared by the Linux-only tests: counting open descriptors and
// running code at the descriptor limit.

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openFDs returns the number of open file descriptors of this process
// (counting the one used to list them, so counts compare equal).
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// atFDLimit runs f with the soft limit on open files lowered so that the
// process cannot open one more descriptor, and restores the limit after,
// even if f fails the test.
func atFDLimit(t *testing.T, f func()) {
	t.Helper()
	var saved unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
		t.Fatal(err)
	}
	// A new descriptor takes the lowest free number; a limit equal to it
	// leaves no number to take.
	lowest, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(lowest)
	lowered := saved
	lowered.Cur = uint64(lowest)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
			t.Errorf("restoring RLIMIT_NOFILE: %v", err)
		}
	}()
	f()
}
