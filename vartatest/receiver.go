package vartatest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/sequence"
)

// errClosed is what an observer's receiving methods return after Close.
var errClosed = fmt.Errorf("vartatest: the observer is closed and receives nothing more: %w", net.ErrClosed)

// receiver is what every observer shares: it reads datagrams, turns them
// into frames and checks them against the rules of internal/sequence.
type receiver struct {
	tb   testing.TB
	conn net.Conn
	// read receives one datagram into b and returns its length and, where
	// the transport tells, the sender's pid (0 if unknown).
	read func(b []byte) (n int, sender uint32, err error)
	// open turns a datagram into a frame: decode, or open and decode.
	open func([]byte) (varta.Frame, error)
	// release frees what the observer holds besides conn: its directory
	// and, for a secure observer, its key.
	release func()

	closed    atomic.Bool
	closeOnce sync.Once

	mu  sync.Mutex // held while receiving, and by release
	buf [256]byte
	log sequence.Log
}

// newReceiver returns a receiver of conn that tb's cleanup closes.
func newReceiver(tb testing.TB, conn net.Conn, read func([]byte) (int, uint32, error),
	open func([]byte) (varta.Frame, error), release func()) *receiver {
	r := &receiver{tb: tb, conn: conn, read: read, open: open, release: release}
	tb.Cleanup(r.close)
	return r
}

// close closes the socket and releases the rest, once. Closing the socket
// ends a receive in progress, and release waits for it to let go of the
// key.
func (r *receiver) close() {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		r.conn.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.release()
	})
}

// next receives one frame within timeout and checks it. With report set,
// a violation goes to the test's Errorf as well as to the caller.
func (r *receiver) next(timeout time.Duration, report bool) (varta.Frame, error) {
	r.tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, sender, err := r.receive(time.Now().Add(timeout))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return varta.Frame{}, fmt.Errorf("vartatest: no frame within %v: %w", timeout, err)
	}
	if err != nil {
		return varta.Frame{}, err
	}
	return r.check(b, sender, report)
}

// nextTerminal receives and checks frames, reporting violations, until a
// terminal frame arrives or timeout has passed.
func (r *receiver) nextTerminal(timeout time.Duration) (varta.Frame, error) {
	r.tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for others := 0; ; others++ {
		b, sender, err := r.receive(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return varta.Frame{}, fmt.Errorf("vartatest: no terminal frame within %v (other datagrams received: %d): %w", timeout, others, err)
		}
		if err != nil {
			return varta.Frame{}, err
		}
		if f, err := r.check(b, sender, true); IsTerminal(f) {
			return f, err
		}
	}
}

// receive waits until deadline for one datagram and returns it with the
// sender's pid (0 if unknown). Once the time is up, the error matches
// os.ErrDeadlineExceeded; once the observer is closed, it is errClosed.
func (r *receiver) receive(deadline time.Time) ([]byte, uint32, error) {
	if r.closed.Load() {
		return nil, 0, errClosed
	}
	err := r.conn.SetReadDeadline(deadline)
	var n int
	var sender uint32
	if err == nil {
		n, sender, err = r.read(r.buf[:])
	}
	switch {
	case errors.Is(err, net.ErrClosed):
		return nil, 0, errClosed
	case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
		return nil, 0, fmt.Errorf("vartatest: receive: %w", err)
	}
	return r.buf[:n], sender, err
}

// check opens the datagram b, sent by sender, and applies the rules. It
// returns the frame (the zero Frame if b does not open) and the rule it
// breaks, which goes to the test's Errorf too when report is set.
func (r *receiver) check(b []byte, sender uint32, report bool) (varta.Frame, error) {
	r.tb.Helper()
	f, err := r.open(b)
	if err != nil {
		f, err = varta.Frame{}, fmt.Errorf("vartatest: observer rejects a %d-byte datagram: %w", len(b), err)
	} else if err = r.log.Check(f, sender); err != nil {
		err = fmt.Errorf("vartatest: %w", err)
	}
	if err != nil && report {
		r.tb.Errorf("%v", err)
	}
	return f, err
}

// tempDir makes a directory that only this user may enter (mode 0700),
// under the system's temporary directory, and returns its absolute path.
// It is not tb.TempDir, whose paths can be longer than the 107 bytes a
// socket address holds.
func tempDir(tb testing.TB) string {
	tb.Helper()
	base, err := filepath.Abs(os.TempDir())
	if err != nil {
		tb.Fatalf("vartatest: find the temporary directory: %v", err)
	}
	dir, err := os.MkdirTemp(base, "vartatest")
	if err != nil {
		tb.Fatalf("vartatest: make a temporary directory: %v", err)
	}
	return dir
}
