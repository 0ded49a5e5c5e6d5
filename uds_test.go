package varta

// Proves that Connect checks Unix socket paths before any system call,
// says what is wrong with an observer, and opens a non-blocking, close-on-
// exec socket.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestConnectRejectsBadPathsBeforeAnySyscall(t *testing.T) {
	for name, path := range map[string]string{
		"empty":    "",
		"nul":      "/tmp/obs\x00.sock",
		"too long": "/" + strings.Repeat("x", maxPathLen),
	} {
		v, err := Connect(path)
		if v != nil || !errors.Is(err, ErrInvalidPath) {
			t.Errorf("%s path: Connect = %v, %v; want ErrInvalidPath", name, v, err)
		}
	}
	if abstractNames {
		if v, err := Connect("@"); v != nil || !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "after '@' is empty") {
			t.Errorf("Connect(\"@\") = %v, %v; want ErrInvalidPath saying the abstract name is empty", v, err)
		}
	}
	// The longest path that fits is checked by the kernel, not refused.
	longest := "/" + strings.Repeat("x", maxPathLen-1)
	if _, err := Connect(longest); errors.Is(err, ErrInvalidPath) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Connect(%d-byte path) = %v, want the kernel's ENOENT", len(longest), err)
	}
}

func TestConnectSaysWhatIsWrongWithTheObserver(t *testing.T) {
	dir := socketDir(t)
	missing := filepath.Join(dir, "missing.sock")
	if _, err := Connect(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no socket file") {
		t.Errorf("missing socket: %v", err)
	}

	r := listenAt(t, filepath.Join(dir, "stale.sock"))
	r.close() // the file stays, nobody reads it
	if _, err := Connect(r.path); !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "nobody is listening") {
		t.Errorf("stale socket: %v", err)
	}

	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Connect(regular); err == nil || !strings.Contains(err.Error(), regular) || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}

	// A directory is named as such, and the error does not suggest
	// removing it.
	if _, err := Connect(dir); err == nil || !strings.Contains(err.Error(), "names a directory") || strings.Contains(err.Error(), "remove") {
		t.Errorf("directory: %v, want it to say the path names a directory", err)
	}
}

// TestConnectMakesARelativePathAbsoluteOnce connects with a path relative
// to the working directory, then changes directory and restarts the
// observer: the automatic reconnect and Reconnect still find the socket,
// because Connect made the path absolute (R5.1).
func TestConnectMakesARelativePathAbsoluteOnce(t *testing.T) {
	dir := socketDir(t)
	r := listenAt(t, filepath.Join(dir, "obs.sock"))
	t.Chdir(dir)
	v, err := Connect("obs.sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	s := newStream(t)
	beatThrough(t, v, r, s, 1)

	t.Chdir(t.TempDir())
	r.close()
	r = listenAt(t, r.path) // the observer restarts
	if err := v.Reconnect(); err != nil {
		t.Fatalf("Reconnect after a change of directory: %v", err)
	}
	beatThrough(t, v, r, s, 2)
	r.close()
	r = listenAt(t, r.path) // again, found by the automatic reconnect
	beatThrough(t, v, r, s, 3)
	if got := v.Stats().Reconnects; got != 2 {
		t.Fatalf("Reconnects = %d, want 2", got)
	}
}

// TestConnectChecksTheAbsoluteLengthOfARelativePath connects with a short
// relative path whose absolute form does not fit a socket address: the
// error matches ErrInvalidPath and names the absolute path, and the hint
// does not recommend a relative path, which no longer shortens anything.
func TestConnectChecksTheAbsoluteLengthOfARelativePath(t *testing.T) {
	deep := t.TempDir()
	for len(deep) <= maxPathLen {
		deep = filepath.Join(deep, strings.Repeat("d", 40))
	}
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	v, err := Connect("obs.sock")
	if v != nil || !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "absolute path") || strings.Contains(err.Error(), "relative") {
		t.Fatalf("Connect(relative path, too long once absolute) = %v, %v; want ErrInvalidPath naming the absolute path", v, err)
	}
}

// TestConnectTellsAConnectedSocketFromAPermissionProblem connects to an
// observer socket that is itself connected to another socket: the kernel
// refuses with EPERM although the file is writable, and the error must not
// blame permissions. A beat whose observer connects elsewhere meanwhile is
// Failed with EPERM, and its error says the same.
func TestConnectTellsAConnectedSocketFromAPermissionProblem(t *testing.T) {
	dir := socketDir(t)
	r := listenAt(t, filepath.Join(dir, "obs.sock"))
	other := listenAt(t, filepath.Join(dir, "other.sock"))
	v := connectTo(t, r)
	if err := unix.Connect(r.fd, &unix.SockaddrUnix{Name: other.path}); err != nil {
		t.Fatal(err)
	}

	_, err := Connect(r.path)
	if !errors.Is(err, syscall.EPERM) || strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "connected to another peer") {
		t.Errorf("Connect to a socket connected to another peer = %v; want EPERM saying so, not permission denied", err)
	}

	out := v.Beat(StatusOK, 0)
	if !out.IsFailed() || !errors.Is(out.Err(), syscall.EPERM) {
		t.Fatalf("beat to an observer connected to another peer = %v, want Failed with EPERM", out)
	}
	if msg := out.Err().Error(); !strings.Contains(msg, "not a file permission problem") || !strings.Contains(msg, "connected to") {
		t.Errorf("beat error %q: want it to say EPERM is no file permission problem", msg)
	}
}

// TestConnectReportsPermissionDenied connects to a socket the caller may
// not write. Root ignores file permissions, so as root the check runs in a
// child process re-executed as an unprivileged user.
func TestConnectReportsPermissionDenied(t *testing.T) {
	if path := os.Getenv("VARTA_TEST_DENIED_PATH"); path != "" {
		_, err := Connect(path)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("Connect to a socket without write permission: %v", err)
		}
		return
	}
	dir := socketDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := listenAt(t, filepath.Join(dir, "denied.sock"))
	if err := os.Chmod(r.path, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		os.Chmod(r.path, 0o400)
		if _, err := Connect(r.path); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Connect to a read-only socket: %v", err)
		}
		return
	}
	runUnprivileged(t, "^TestConnectReportsPermissionDenied$", "VARTA_TEST_DENIED_PATH="+r.path)
}

func TestConnectRefusesPID1(t *testing.T) {
	if _, err := checkPID(1); !errors.Is(err, ErrInitProcess) {
		t.Errorf("checkPID(1) = %v, want ErrInitProcess", err)
	}
	if _, err := checkPID(0); err == nil {
		t.Error("checkPID(0) accepted")
	}
	if pid, err := checkPID(4242); err != nil || pid != 4242 {
		t.Errorf("checkPID(4242) = %d, %v", pid, err)
	}
}

// TestSocketIsCloseOnExecAndNonBlocking checks the socket Connect opens and
// the one each Reconnect swaps in, and that Close releases the descriptor.
func TestSocketIsCloseOnExecAndNonBlocking(t *testing.T) {
	v := connectTo(t, listen(t))
	check := func(what string) int {
		t.Helper()
		fd := v.socketFD()
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s: F_GETFD = %#x, %v: want FD_CLOEXEC", what, flags, err)
		}
		status, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || status&unix.O_NONBLOCK == 0 {
			t.Errorf("%s: F_GETFL = %#x, %v: want O_NONBLOCK", what, status, err)
		}
		return fd
	}
	check("connected")
	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	fd := check("reconnected")
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("after Close the descriptor is still open: %v", err)
	}
}
