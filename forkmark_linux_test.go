//go:build linux

package varta

// Proves, with real forks on Linux, that the fork check is the mark, that
// a forked child beats with its own pid, and that a fork keeping the same
// pid restarts the sequence.

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestForkCheckIsTheMarkOnLinux: Linux 4.14 and later offer wipe-on-fork
// memory, so agents check the mark, unless the kernel refused the advice
// (older kernels: EINVAL; seccomp: EPERM or ENOSYS), in which case they
// read the pid; where core tests are required, the mark must be there.
func TestForkCheckIsTheMarkOnLinux(t *testing.T) {
	r := listen(t)
	if processForkMark() == nil {
		if !errors.Is(forkMarkErr, unix.EINVAL) && !errors.Is(forkMarkErr, unix.EPERM) && !errors.Is(forkMarkErr, unix.ENOSYS) {
			t.Fatalf("no fork mark: %v", forkMarkErr)
		}
		expectForkCheck(t, connectTo(t, r), ForkCheckPID)
		skipCore(t, "the kernel refused the mark (%v): agents read the pid", forkMarkErr)
	}
	expectForkCheck(t, connectTo(t, r), ForkCheckMark)
	withoutForkMark(t)
	expectForkCheck(t, connectTo(t, r), ForkCheckPID)
}

// atFDCWD is AT_FDCWD (-100) as a system call argument.
const atFDCWD = ^uintptr(99)

// Codes a forked test child exits with.
const (
	childOK       = 0
	childBadBeat  = 10 // a beat was not sent
	childBadStats = 11 // a beat did not follow the fork
	childMarkKept = 12 // the kernel left the wipe-on-fork page as it was
	childBadPID   = 12 // the child did not get the pid number it wanted
	childFailed   = 13 // a setup step failed; the report pipe says which
)

// forkChild forks the test process with a bare clone(2) of the given flags
// (and SIGCHLD), as a C program's fork would, runs child in the new
// process and exits that with child's result. Go's runtime does not know
// about such a child: it has one thread and no garbage collector, so child
// must keep to system calls and agent calls (the collector is off while
// the child runs, so an allocation is survivable). forkChild returns the
// child's pid and exit code, or the errno of clone.
func forkChild(t *testing.T, flags uintptr, child func() int) (pid, code int, errno syscall.Errno) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// A goroutine that has run for 10ms is marked for preemption, and
	// the child would inherit the mark: it would then yield to a
	// scheduler whose other threads do not exist there, and hang. A
	// yield just before the fork starts a fresh time slice.
	runtime.Gosched()
	// clone(2) takes the flags first, but the new stack first on s390x.
	a1, a2 := flags|uintptr(syscall.SIGCHLD), uintptr(0)
	if runtime.GOARCH == "s390x" {
		a1, a2 = a2, a1
	}
	r, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, a1, a2, 0, 0, 0, 0)
	if errno != 0 {
		return 0, 0, errno
	}
	if r == 0 {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(child()), 0, 0)
	}
	pid = int(r)
	return pid, waitChild(t, pid), 0
}

// waitChild reaps the forked child pid and returns its exit code; a child
// still running after 30s is killed and fails the test.
func waitChild(t *testing.T, pid int) int {
	t.Helper()
	var ws syscall.WaitStatus
	done := make(chan error, 1)
	go func() {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
		t.Fatal("hung: forked child still running after 30s")
	}
	if !ws.Exited() {
		t.Fatalf("forked child ended by %v", ws)
	}
	return ws.ExitStatus()
}

// skipIfMarkKept skips the test when the forked child found the
// wipe-on-fork page as its parent left it: the system accepted
// MADV_WIPEONFORK without honouring it, as user-mode emulation (qemu-user)
// does, so the fork check by mark cannot be tested here. Where core tests
// are required (skipCore) it fails the test instead.
func skipIfMarkKept(t *testing.T, code int) {
	t.Helper()
	if code == childMarkKept {
		skipCore(t, "the forked child found the wipe-on-fork page not wiped: this system accepts MADV_WIPEONFORK without honouring it (user-mode emulation)")
	}
}

// beatForked is what a forked child does in the fork tests: beat on each
// agent in turn (an agent may come more than once) and check that each
// beat was sent and that the agent has followed exactly one fork.
func beatForked(agents ...*Varta) int {
	if m := processForkMark(); m != nil && m.Load() != 0 {
		return childMarkKept
	}
	for _, v := range agents {
		if !v.Beat(StatusOK, 7).IsSent() {
			return childBadBeat
		}
		if v.Stats().ForkRecoveries != 1 {
			return childBadStats
		}
	}
	return childOK
}

// TestForkedChildBeatsWithItsOwnPID forks the process for real: the
// child's first beat carries the child's pid and nonce 1 at the observer,
// and the parent's sequence goes on, with either fork check.
func TestForkedChildBeatsWithItsOwnPID(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		expectForkCheck(t, v, mode)
		for range 3 {
			v.Beat(StatusOK, 0)
			r.recv()
		}
		pid, code, errno := forkChild(t, 0, func() int { return beatForked(v) })
		if errno != 0 {
			t.Fatalf("fork: %v", errno)
		}
		skipIfMarkKept(t, code)
		if code != childOK {
			t.Fatalf("forked child exited with %d", code)
		}
		if o, _ := observe(r.recv()); o.pid != uint32(pid) || o.nonce != 1 || o.payload != 7 {
			t.Fatalf("child's frame: pid %d nonce %d payload %d, want pid %d nonce 1 payload 7", o.pid, o.nonce, o.payload, pid)
		}
		v.Beat(StatusOK, 0)
		if o, _ := observe(r.recv()); o.pid != uint32(os.Getpid()) || o.nonce != 4 {
			t.Fatalf("parent's frame after the fork: pid %d nonce %d, want %d and 4", o.pid, o.nonce, os.Getpid())
		}
		if got := v.ForkRecoveries(); got != 0 {
			t.Fatalf("parent: ForkRecoveries = %d, want 0", got)
		}
	})
}

// forkWithSamePID runs child in a grandchild of the test process that has
// the test process's pid number (R6.8): a first clone puts a child in a
// new pid namespace, where it is pid 1; it writes pid-1 to
// /proc/sys/kernel/ns_last_pid, which applies to the writer's own pid
// namespace, and forks again, so the grandchild gets pid. It returns the
// grandchild's exit code, and skips the test, saying why, where the
// system refuses a step (or fails it where core tests are required: see
// skipCore).
func forkWithSamePID(t *testing.T, child func() int) int {
	t.Helper()
	requireForkMark(t)
	pid := os.Getpid()
	lastPID := []byte(strconv.Itoa(pid - 1))
	path, err := syscall.BytePtrFromString("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		t.Fatal(err)
	}
	var report [2]int
	if err := syscall.Pipe2(report[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(report[0])
	// fail reports, from inside the namespace, the step that failed and
	// its errno.
	fail := func(step byte, errno syscall.Errno) int {
		msg := [2]byte{step, byte(errno)}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(report[1]), uintptr(unsafe.Pointer(&msg[0])), 2)
		return childFailed
	}
	_, code, errno := forkChild(t, syscall.CLONE_NEWPID, func() int {
		fd, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(path)), syscall.O_WRONLY, 0, 0, 0)
		if errno != 0 {
			return fail('o', errno)
		}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&lastPID[0])), uintptr(len(lastPID))); errno != 0 {
			return fail('w', errno)
		}
		syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
		r, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		switch {
		case errno != 0:
			return fail('c', errno)
		case r == 0:
			if got, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0); int(got) != pid {
				syscall.RawSyscall(syscall.SYS_EXIT_GROUP, childBadPID, 0, 0)
			}
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(child()), 0, 0)
		}
		// This process is the namespace's init: when it exits, the
		// kernel kills everything left in the namespace.
		var ws syscall.WaitStatus
		for {
			_, _, errno := syscall.RawSyscall6(syscall.SYS_WAIT4, r, uintptr(unsafe.Pointer(&ws)), 0, 0, 0, 0)
			if errno != syscall.EINTR {
				break
			}
		}
		if !ws.Exited() {
			return fail('x', 0)
		}
		return ws.ExitStatus()
	})
	syscall.Close(report[1])
	switch errno {
	case 0:
	case syscall.EPERM, syscall.EINVAL, syscall.ENOSPC, syscall.EUSERS:
		skipCore(t, "the system refuses a new pid namespace: clone(CLONE_NEWPID): %v", errno)
	default:
		t.Fatalf("clone(CLONE_NEWPID): %v", errno)
	}
	if code == childFailed {
		var msg [2]byte
		if n, _ := syscall.Read(report[0], msg[:]); n != 2 {
			t.Fatal("a step in the new pid namespace failed without saying which")
		}
		step, errno := msg[0], syscall.Errno(msg[1])
		if step == 'o' || step == 'w' {
			skipCore(t, "cannot choose the next pid in a new pid namespace: /proc/sys/kernel/ns_last_pid: %v", errno)
		}
		t.Fatalf("in the new pid namespace, step %q failed: %v", step, errno)
	}
	if code == childBadPID {
		t.Fatalf("the grandchild did not get pid %d after ns_last_pid was set", pid)
	}
	return code
}

// TestForkWithTheSamePIDRestartsTheSequence forks into a new pid namespace
// so that the grandchild has the parent's pid number (R6.8): only the
// cleared mark tells the fork, and the child's first beat carries nonce 1.
func TestForkWithTheSamePIDRestartsTheSequence(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	for range 3 {
		v.Beat(StatusOK, 0)
		r.recv()
	}
	code := forkWithSamePID(t, func() int { return beatForked(v) })
	skipIfMarkKept(t, code)
	if code != childOK {
		t.Fatalf("forked child exited with %d", code)
	}
	if o, _ := observe(r.recv()); o.pid != uint32(os.Getpid()) || o.nonce != 1 {
		t.Fatalf("child's frame: pid %d nonce %d, want pid %d (the parent's number) and nonce 1", o.pid, o.nonce, os.Getpid())
	}
	v.Beat(StatusOK, 0)
	if o, _ := observe(r.recv()); o.nonce != 4 {
		t.Fatalf("parent's frame after the fork: nonce %d, want 4", o.nonce)
	}
}
