// Package vartatest provides an observer for tests of programs that link
// the varta agent, in the manner of net/http/httptest: NewObserver binds a
// socket for the test, the program under test beats to it, and Next returns
// each frame that arrives.
//
// The observer is strict. It checks every frame as a careful observer would
// and reports each rule broken through the test's Errorf, so a daemon that
// sends bad frames fails its test even if the test looks no further than
// the status:
//
//   - the frame must decode (SPEC R1.3: layout, checksum, status, pid,
//     timestamp), which also rejects StatusStall on the wire; a secure
//     observer also rejects a frame that does not open under its key;
//   - on Linux, the pid in a frame sent to a Unix socket must be the pid of
//     the process that sent it (the kernel's credentials, SO_PASSCRED);
//   - the beats of each pid carry consecutive nonces, starting at 1: an
//     agent's dropped or failed beats leave no gap (the next beat reuses the
//     nonce), so a gap means a nonce was skipped or a sent frame was lost;
//   - within a sequence the timestamps of each pid never go backwards, and a
//     terminal frame is no earlier than the sequence's last beat and later
//     than its previous terminal frame.
//
// Terminal frames (IsTerminal) stand outside the nonce sequence.
//
// A beat with nonce 1 starts a new sequence for its pid, whatever came
// before, as it does for a real observer: a process may Close its agent and
// Connect a new one, and a process restored from a snapshot is told to do
// just that, and every new agent starts again at nonce 1 with a new epoch.
// Since the new agent's timestamps count from its own epoch, a new sequence
// forgets the previous one's timestamps, those of its terminal frames
// included (a new process that reuses the pid starts its terminal frames
// afresh too): its first beat may carry any timestamp. A terminal frame sent by
// a new agent before its first beat still counts in the previous sequence.
// Within a sequence, a gap, a repeated nonce other than 1 and a timestamp
// that goes backwards are still reported.
//
// A daemon's test, in the daemon's package:
//
//	func TestDaemonBeats(t *testing.T) {
//		obs := vartatest.NewObserver(t)
//		daemon := exec.Command("./mydaemon", "-observer", obs.Path())
//		if err := daemon.Start(); err != nil {
//			t.Fatal(err)
//		}
//		defer daemon.Process.Kill()
//		f, err := obs.Next(5 * time.Second)
//		if err != nil {
//			t.Fatal(err) // no beat in time, or a frame the observer rejects
//		}
//		if f.Status != varta.StatusOK {
//			t.Errorf("first beat %v, want ok", f.Status)
//		}
//	}
//
// # API under build tags
//
// go doc shows only the identifiers of the default build. These come with
// build tags, and are documented in udp_observer.go and
// secureudp_observer.go:
//
// With -tags udp or -tags secureudp (either one):
//
//	type UDPObserver struct{ ... }
//	func NewUDPObserver(tb testing.TB) *UDPObserver
//	func (o *UDPObserver) Port() int
//	func (o *UDPObserver) Next(timeout time.Duration) (varta.Frame, error)
//
// NewUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for plain
// frames (varta.ConnectUDP); Port returns that port. A UDPObserver checks
// frames as Observer does, except the sender's pid, which UDP does not
// carry.
//
// With -tags secureudp only:
//
//	func NewSecureUDPObserver(tb testing.TB, key []byte) *UDPObserver
//	func NewSecureUDPObserverWithMaster(tb testing.TB, master []byte) *UDPObserver
//
// NewSecureUDPObserver opens frames sealed under a shared key
// (varta.ConnectSecureUDP); NewSecureUDPObserverWithMaster opens 64-byte
// frames sealed under keys derived from a master key
// (varta.ConnectSecureUDPWithMaster). A datagram that does not open is a
// violation.
package vartatest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/internal/sequence"
)

// The rules of a frame stream that Next checks beyond decoding, shared
// with vartadump. A violation matches one of these, or one of varta's
// decoding and opening errors (varta.ErrBadCRC, varta.ErrStallOnWire, ...),
// with errors.Is. Their texts carry no package name; the errors Next
// returns begin with "vartatest: ".
var (
	// ErrSenderPID: the frame's pid is not the pid of the process that sent
	// it (checked on Linux, over Unix sockets).
	ErrSenderPID = sequence.ErrSenderPID
	// ErrNonceSequence: a beat's nonce is not the one after the previous beat
	// of the same pid, nor 1, which starts a new sequence.
	ErrNonceSequence = sequence.ErrNonceSequence
	// ErrTimestampBackwards: a frame's timestamp is earlier than an earlier
	// frame's of the same pid and sequence.
	ErrTimestampBackwards = sequence.ErrTimestampBackwards
)

// IsTerminal reports whether f is a terminal frame, the one an agent sends
// when its process is about to exit (varta.NonceTerminal).
func IsTerminal(f varta.Frame) bool {
	return f.Nonce == varta.NonceTerminal
}

// Observer is a test observer bound to a Unix datagram socket.
type Observer struct {
	path string
	c    *checker
}

// NewObserver binds a Unix datagram socket in a new temporary directory and
// returns an observer reading it. tb's cleanup closes the socket and removes
// the directory; a failure to bind fails the test at once (tb.Fatalf).
//
// The directory comes from os.MkdirTemp rather than tb.TempDir, whose paths
// can be longer than the 107 bytes a socket address holds.
func NewObserver(tb testing.TB) *Observer {
	tb.Helper()
	dir, err := os.MkdirTemp("", "vartatest")
	if err != nil {
		tb.Fatalf("vartatest: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "observer.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		tb.Fatalf("vartatest: bind a Unix datagram socket: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	if err := passCredentials(conn); err != nil {
		tb.Fatalf("vartatest: ask for senders' credentials: %v", err)
	}
	oob := make([]byte, credentialsSpace)
	read := func(b []byte) (int, uint32, error) {
		n, oobn, _, _, err := conn.ReadMsgUnix(b, oob)
		if err != nil {
			return 0, 0, err
		}
		return n, senderPID(oob[:oobn]), nil
	}
	return &Observer{path: path, c: newChecker(tb, conn, read, varta.DecodeFrame)}
}

// Path returns the path of the observer's socket, for varta.Connect.
func (o *Observer) Path() string { return o.path }

// Next waits up to timeout for the next frame and returns it.
//
// When no frame arrives in time it returns an error matching
// os.ErrDeadlineExceeded, and reports nothing to the test: a test may
// expect silence. When a frame breaks a rule, Next reports the violation
// through the test's Errorf and returns it as the error too, along with the
// frame if it could be decoded (the zero Frame if not). The frame is then
// taken as the new reference for its pid, so one bad frame is reported once.
func (o *Observer) Next(timeout time.Duration) (varta.Frame, error) {
	o.c.tb.Helper()
	return o.c.next(timeout)
}

// checker reads datagrams, turns them into frames and checks each pid's
// sequence of frames.
type checker struct {
	tb   testing.TB
	conn interface{ SetReadDeadline(time.Time) error }
	// read receives one datagram into b and returns its length and, where
	// the transport tells, the sender's pid (0 if unknown).
	read func(b []byte) (n int, sender uint32, err error)
	// open turns a datagram into a frame: decode, or open and decode.
	open func([]byte) (varta.Frame, error)

	mu  sync.Mutex
	buf [256]byte
	log sequence.Log
}

func newChecker(tb testing.TB, conn interface{ SetReadDeadline(time.Time) error },
	read func([]byte) (int, uint32, error), open func([]byte) (varta.Frame, error)) *checker {
	return &checker{tb: tb, conn: conn, read: read, open: open}
}

func (c *checker) next(timeout time.Duration) (varta.Frame, error) {
	c.tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return varta.Frame{}, fmt.Errorf("vartatest: %w", err)
	}
	n, sender, err := c.read(c.buf[:])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return varta.Frame{}, fmt.Errorf("vartatest: no frame within %v: %w", timeout, err)
	}
	if err != nil {
		return varta.Frame{}, fmt.Errorf("vartatest: receive: %w", err)
	}
	f, err := c.open(c.buf[:n])
	if err != nil {
		err = fmt.Errorf("vartatest: observer rejects a %d-byte datagram: %w", n, err)
		c.tb.Errorf("%v", err)
		return varta.Frame{}, err
	}
	if err := c.log.Check(f, sender); err != nil {
		err = fmt.Errorf("vartatest: %w", err)
		c.tb.Errorf("%v", err)
		return f, err
	}
	return f, nil
}
