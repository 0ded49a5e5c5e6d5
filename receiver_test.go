package varta

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// receiver is a test observer: a Unix datagram socket bound to a path,
// read with raw syscalls so that alloc tests can drain it without
// allocating.
type receiver struct {
	t    *testing.T
	path string
	fd   int
	buf  [256]byte
}

// socketDir returns a short temporary directory: t.TempDir paths can exceed
// the 107 bytes a socket address holds.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "varta")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// listen binds a receiver to a fresh path in a short temporary directory.
func listen(t *testing.T) *receiver {
	t.Helper()
	return listenAt(t, filepath.Join(socketDir(t), "obs.sock"))
}

// listenAt binds a receiver to path, removing a stale socket file first.
func listenAt(t *testing.T, path string) *receiver {
	t.Helper()
	os.Remove(path)
	fd, err := openSocket(unix.AF_UNIX, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	r := &receiver{t: t, path: path, fd: fd}
	t.Cleanup(r.close)
	return r
}

// close closes the socket, leaving the socket file behind as a crashed
// observer would.
func (r *receiver) close() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// recv waits for one datagram and returns a copy of it. It fails the test
// if none arrives within 10 seconds: a hang guard, not a timing assertion.
func (r *receiver) recv() []byte {
	r.t.Helper()
	b, err := r.next()
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// next is recv for goroutines other than the test's: it returns the error
// instead of failing the test.
func (r *receiver) next() ([]byte, error) {
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 10_000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("hung: no datagram within 10s")
		}
		break
	}
	n, err := unix.Read(r.fd, r.buf[:])
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r.buf[:n]...), nil
}

// tryRead reads one datagram if one is queued, without allocating.
func (r *receiver) tryRead() bool {
	_, err := unix.Read(r.fd, r.buf[:])
	return err == nil
}

// drain reads every queued datagram and returns how many there were.
func (r *receiver) drain() int {
	n := 0
	for r.tryRead() {
		n++
	}
	return n
}

// expectNothing fails the test if a datagram is queued. A Unix datagram
// send queues the frame before it returns, so anything sent is already there.
func (r *receiver) expectNothing() {
	r.t.Helper()
	if r.tryRead() {
		r.t.Fatal("a datagram arrived, want none")
	}
}
