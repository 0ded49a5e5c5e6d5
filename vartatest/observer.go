// Package vartatest provides observers for tests of programs that link the
// varta agent, in the manner of net/http/httptest: NewObserver binds a
// socket for the test, the program under test beats to its Target (or
// Path), Next returns each frame that arrives, and Close makes the observer
// vanish mid-test, as a crashed observer does. The test's cleanup closes
// every observer anyway.
//
// The observer is strict. It checks every frame as a careful observer would
// and Next reports each rule broken through the test's Errorf, so a daemon
// that sends bad frames fails its test even if the test looks no further
// than the status:
//
//   - the frame must decode (SPEC R1.3: layout, checksum, status, pid,
//     timestamp), which also rejects StatusStall on the wire; a secure
//     observer also rejects a frame that does not open under its key, and
//     a replay: a frame it opened before, or one that arrives after a
//     later frame of its session (varta.ErrReplay, SPEC R6.9);
//   - on Linux, the pid in a frame sent to a Unix socket must be the pid of
//     the process that sent it (the kernel's credentials, SO_PASSCRED);
//   - the beats of each pid carry consecutive nonces, starting at 1: an
//     agent's dropped or failed beats leave no gap (the next beat reuses the
//     nonce), so a gap means a nonce was skipped or a sent frame was lost;
//   - within a sequence the timestamps of each pid never go backwards, and a
//     terminal frame is no earlier than the sequence's last beat and later
//     than its previous terminal frame.
//
// Terminal frames (IsTerminal) stand outside the nonce sequence. vartadump
// applies the same rules to the frames it prints.
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
// Three methods receive. Next returns the next frame and reports a
// violation. Receive returns it with its violation as the error and
// reports nothing, for a test that expects a bad frame to be caught:
// errors.Is(err, vartatest.ErrNonceSequence). NextTerminal reads and checks
// frames until a terminal frame arrives. None of them reports a wait that
// ends without a frame (a test may expect silence), and after Close each
// returns an error matching net.ErrClosed.
//
// A daemon's test, in the daemon's package (the daemon connects with
// varta.ConnectFromEnv and sends a terminal frame on SIGTERM through
// HandleSignals):
//
//	func TestDaemonBeats(t *testing.T) {
//		obs := vartatest.NewObserver(t)
//		daemon := exec.Command("./mydaemon")
//		daemon.Env = append(os.Environ(), varta.ObserverEnv+"="+obs.Target())
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
//		daemon.Process.Signal(syscall.SIGTERM)
//		if _, err := obs.NextTerminal(5 * time.Second); err != nil {
//			t.Fatal(err) // the daemon ended without a terminal frame
//		}
//	}
//
// The Examples are bodies of such tests. In the Examples, t stands in for
// the test's *testing.T, which an Example does not have: it prints what the
// test would report, so that a report fails the Example, and t.end runs the
// cleanups, as the end of a test does. In a test, use the test's own t and
// leave out the two lines that make and end the stand-in.
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
//	func (o *UDPObserver) Target() string
//	func (o *UDPObserver) Next(timeout time.Duration) (varta.Frame, error)
//	func (o *UDPObserver) Receive(timeout time.Duration) (varta.Frame, error)
//	func (o *UDPObserver) NextTerminal(timeout time.Duration) (varta.Frame, error)
//	func (o *UDPObserver) Close()
//
// NewUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for plain
// frames (varta.ConnectUDP); Port returns that port and Target
// udp://127.0.0.1:port. A UDPObserver checks frames as Observer does,
// except the sender's pid, which UDP does not carry, and its methods do
// what Observer's of the same name do.
//
// With -tags secureudp only:
//
//	func NewSecureUDPObserver(tb testing.TB, key []byte) *UDPObserver
//	func NewSecureUDPObserverWithMaster(tb testing.TB, master []byte) *UDPObserver
//
// NewSecureUDPObserver opens frames sealed under a shared key
// (varta.ConnectSecureUDP); NewSecureUDPObserverWithMaster opens 64-byte
// frames sealed under keys derived from a master key
// (varta.ConnectSecureUDPWithMaster). Each opens frames with one
// varta.SecureOpener or varta.MasterOpener for its life, and keeps no
// other copy of the key. A datagram that does not open is a violation, and
// so is a replayed frame: Next reports it and Receive returns an error
// matching varta.ErrReplay. Each writes its key into a file that only this
// user can read, in a directory only this user can enter, for its Target:
// secureudp://127.0.0.1:port?keyfile=/path, or ?masterkeyfile=/path with a
// master key. Close closes the opener and removes the file.
package vartatest

import (
	"net"
	"os"
	"path/filepath"
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
	r    *receiver
}

// NewObserver binds a Unix datagram socket in a new temporary directory and
// returns an observer reading it. tb's cleanup closes it, as Close does; a
// failure to bind fails the test at once (tb.Fatalf). The socket's path
// must fit a socket address (107 bytes on Linux, 103 on macOS and the
// BSDs): under a longer TMPDIR the test fails with varta's words for that
// limit and the advice to run it with a shorter TMPDIR.
func NewObserver(tb testing.TB) *Observer {
	tb.Helper()
	dir := tempDir(tb)
	release := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "observer.sock")
	if _, err := varta.ParseTarget(path); err != nil { // Connect's checks of a path
		release()
		tb.Fatalf("vartatest: no room for the observer's socket in the temporary directory %s: %v; run the test with a shorter TMPDIR, such as TMPDIR=/tmp", filepath.Dir(dir), err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		release()
		tb.Fatalf("vartatest: bind a Unix datagram socket: %v", err)
	}
	oob := make([]byte, credentialsSpace)
	read := func(b []byte) (int, uint32, error) {
		n, oobn, _, _, err := conn.ReadMsgUnix(b, oob)
		if err != nil {
			return 0, 0, err
		}
		return n, senderPID(oob[:oobn]), nil
	}
	r := newReceiver(tb, conn, read, varta.DecodeFrame, release)
	if err := passCredentials(conn); err != nil {
		tb.Fatalf("vartatest: ask for senders' credentials: %v", err)
	}
	return &Observer{path: path, r: r}
}

// Path returns the path of the observer's socket, for varta.Connect.
func (o *Observer) Path() string { return o.path }

// Target returns the observer's address as a target string,
// unix:///path/of/the/socket, for varta.ConnectTo or the VARTA_OBSERVER
// environment variable (varta.ObserverEnv) of a program under test.
func (o *Observer) Target() string { return "unix://" + o.path }

// Next waits up to timeout for the next frame and returns it.
//
// When no frame arrives in time it returns an error matching
// os.ErrDeadlineExceeded, and reports nothing to the test: a test may
// expect silence. When a frame breaks a rule, Next reports the violation
// through the test's Errorf and returns it as the error too, along with the
// frame if it could be decoded (the zero Frame if not). The frame is then
// taken as the new reference for its pid, so one bad frame is reported once.
// After Close, Next returns an error matching net.ErrClosed.
func (o *Observer) Next(timeout time.Duration) (varta.Frame, error) {
	o.r.tb.Helper()
	return o.r.next(timeout, true)
}

// Receive is Next without the report: it checks the frame as Next does and
// returns a violation as its error, leaving the verdict to the test, which
// can then expect a violation with errors.Is.
func (o *Observer) Receive(timeout time.Duration) (varta.Frame, error) {
	return o.r.next(timeout, false)
}

// NextTerminal receives frames until a terminal frame arrives and returns
// it, checking and reporting every frame as Next does. timeout bounds the
// whole wait; when it passes, the error matches os.ErrDeadlineExceeded and
// nothing is reported.
func (o *Observer) NextTerminal(timeout time.Duration) (varta.Frame, error) {
	o.r.tb.Helper()
	return o.r.nextTerminal(timeout)
}

// Close makes the observer vanish: it closes the socket and removes the
// socket file and its directory, so that agents find nobody at Target.
// Calling it again, or the cleanup that calls it, does nothing.
func (o *Observer) Close() { o.r.close() }
