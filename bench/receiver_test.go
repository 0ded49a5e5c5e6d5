//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// receiver is an observer stand-in: a non-blocking Unix datagram socket
// bound to a path in a fresh temporary directory.
type receiver struct {
	path string
	fd   int // -1 once closed
	// qlen is how many datagrams the kernel queues for the socket before
	// senders get EAGAIN: net.unix.max_dgram_qlen.
	qlen int
	buf  [64]byte
}

// listen binds a receiver and closes it when the benchmark ends.
func listen(b *testing.B) *receiver {
	b.Helper()
	dir, err := os.MkdirTemp("", "varta-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "obs.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		b.Fatal(err)
	}
	r := &receiver{path: path, fd: fd, qlen: maxDgramQlen(b)}
	b.Cleanup(r.close)
	return r
}

// maxDgramQlen reads net.unix.max_dgram_qlen.
func maxDgramQlen(b *testing.B) int {
	b.Helper()
	raw, err := os.ReadFile("/proc/sys/net/unix/max_dgram_qlen")
	if err != nil {
		b.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || n < 1 {
		b.Fatalf("net.unix.max_dgram_qlen is %q, want a positive number", raw)
	}
	return n
}

// close closes the socket, leaving the socket file behind as a crashed
// observer would.
func (r *receiver) close() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// empty reads every queued datagram. It allocates nothing.
func (r *receiver) empty() {
	for {
		if _, err := unix.Read(r.fd, r.buf[:]); err != nil {
			return
		}
	}
}

// drained returns s set up to send into r without ever finding its queue
// full: it sends at most one queue's worth of datagrams, then r is
// emptied, untimed, before it sends more. So every send measured takes the
// path of a datagram the kernel accepts, into a queue no reader sleeps on.
func (r *receiver) drained(s side) side {
	s.batch = r.qlen
	s.settle = r.empty
	return s
}

// dialRaw returns a socket opened and connected the way the agent opens
// its own: AF_UNIX, SOCK_DGRAM, non-blocking, close-on-exec.
func dialRaw(b *testing.B, path string) int {
	b.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		b.Fatal(err)
	}
	return fd
}
