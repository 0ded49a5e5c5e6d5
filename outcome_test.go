package varta

// Proves that send errors are classified by the table, that outcome
// accessors are exclusive, and that beat errors unwrap as documented.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClassifySendErrorFollowsTheTable checks every row of SPEC section 4,
// for bare errnos and for errnos wrapped the way callers see them.
func TestClassifySendErrorFollowsTheTable(t *testing.T) {
	cases := []struct {
		errno syscall.Errno
		want  string
	}{
		{unix.EAGAIN, "dropped: kernel queue full"},
		{unix.EWOULDBLOCK, "dropped: kernel queue full"},
		{unix.ENOBUFS, "dropped: kernel queue full"},
		{unix.ECONNREFUSED, "dropped: no observer"},
		{unix.ENOENT, "dropped: no observer"},
		{unix.ECONNRESET, "dropped: peer gone"},
		{unix.ENOTCONN, "dropped: peer gone"},
		{unix.EPIPE, "dropped: peer gone"},
		{unix.ENOSPC, "dropped: storage full"},
		{unix.EPERM, "failed: varta: send refused: " + unix.EPERM.Error() + " (EPERM), not a file permission problem: " +
			"the observer's socket takes datagrams only from the peer it is connected to, or a firewall or security policy refused the datagram"},
		{unix.EACCES, "failed: varta: send failed: " + unix.EACCES.Error()},
		{unix.EMSGSIZE, "failed: varta: send failed: " + unix.EMSGSIZE.Error()},
		{unix.ENETUNREACH, "failed: varta: send failed: " + unix.ENETUNREACH.Error()},
		{unix.EBADF, "failed: varta: send failed: " + unix.EBADF.Error()},
	}
	for _, tc := range cases {
		for _, err := range []error{tc.errno, os.NewSyscallError("sendto", tc.errno), fmt.Errorf("beat: %w", tc.errno)} {
			out := ClassifySendError(err)
			if out.String() != tc.want {
				t.Errorf("ClassifySendError(%v) = %q, want %q", err, out, tc.want)
			}
			if out.IsFailed() && !errors.Is(out.Err(), tc.errno) {
				t.Errorf("ClassifySendError(%v).Err() = %v does not match the errno", err, out.Err())
			}
		}
	}
	if out := ClassifySendError(nil); !out.IsSent() || out.Err() != nil {
		t.Errorf("ClassifySendError(nil) = %v, want Sent", out)
	}
	out := ClassifySendError(errors.New("not a system error"))
	var be *BeatError
	if !out.IsFailed() || !errors.As(out.Err(), &be) || be.Errno != 0 {
		t.Errorf("ClassifySendError(plain error) = %v, want Failed with Errno 0", out)
	}
}

func TestOutcomeAccessorsAreExclusive(t *testing.T) {
	for _, out := range []BeatOutcome{sent, dropped(KernelQueueFull), dropped(StorageFull), stallRefused, closedRefused} {
		n := 0
		for _, b := range []bool{out.IsSent(), out.IsDropped(), out.IsFailed()} {
			if b {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v: %d of IsSent/IsDropped/IsFailed are true, want exactly 1", out, n)
		}
		if (out.DropReason() != 0) != out.IsDropped() {
			t.Errorf("%v: DropReason %d", out, out.DropReason())
		}
		if (out.Err() != nil) != out.IsFailed() {
			t.Errorf("%v: Err %v", out, out.Err())
		}
	}
	if got := (BeatOutcome{}).String(); got != "no beat" {
		t.Errorf("zero BeatOutcome String = %q", got)
	}
	if got := DropReason(9).String(); got != "drop reason(9)" {
		t.Errorf("DropReason(9) = %q", got)
	}
}

// TestBeatErrorWithoutErrnoUnwrapsToNil checks that a Failed outcome that
// carries no errno unwraps to nil, not to a non-nil syscall.Errno(0) that
// reads "errno 0".
func TestBeatErrorWithoutErrnoUnwrapsToNil(t *testing.T) {
	for _, out := range []BeatOutcome{ClassifySendError(errors.New("not a system error")), failed(0, opForkReconnect), failed(0, opTerminalForked)} {
		if got := errors.Unwrap(out.Err()); got != nil {
			t.Errorf("%v: Unwrap = %#v (%v), want nil", out, got, got)
		}
	}
	if got := errors.Unwrap(ClassifySendError(unix.EMSGSIZE).Err()); got != unix.EMSGSIZE {
		t.Errorf("Unwrap of an EMSGSIZE failure = %v, want EMSGSIZE", got)
	}
}

// TestForkReconnectFailureWithoutErrnoNamesNoSession checks the message of
// a fork recovery whose reconnect failed without an errno (a UDP socket
// the kernel kept connecting to itself, say): plain UDS and UDP agents
// have no session, so the message must not speak of one.
func TestForkReconnectFailureWithoutErrnoNamesNoSession(t *testing.T) {
	msg := failed(0, opForkReconnect).String()
	if strings.Contains(msg, "session") || !strings.Contains(msg, "fork") {
		t.Fatalf("message %q: want it to name the fork and no session", msg)
	}
}

// TestClassifySendErrorOfABareErrnoAllocatesNothing checks that a bare
// syscall.Errno is classified without errors.As, which allocates.
func TestClassifySendErrorOfABareErrnoAllocatesNothing(t *testing.T) {
	for _, errno := range []syscall.Errno{unix.EAGAIN, unix.ECONNREFUSED, unix.EPERM} {
		var err error = errno
		if n := testing.AllocsPerRun(100, func() { ClassifySendError(err) }); n != 0 {
			t.Errorf("ClassifySendError(%v): got %v allocations, want 0", errno, n)
		}
	}
}
