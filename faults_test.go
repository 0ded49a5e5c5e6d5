package varta

// Proves that an agent on a Unix socket says what went wrong and keeps or
// regains its observer when the socket path is replaced by a file, its
// directory loses search permission, or the receiver closes mid-stream.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Faults injected with real sockets. Each test asserts the exact outcome
// the agent gives, the counts in Stats, and that the next good beat gets
// through once the fault is gone. Other faults are tested beside the
// behaviour they exercise: an observer restarted on the same path
// (TestAutoReconnectFindsObserverRestartedOnSamePath,
// TestWithSelfHealingOffARestartedObserverIsNotFound,
// TestObserverRestartedFiveTimesHealsByDefault), a stalled observer
// (TestBeatNeverBlocksWhenReceiverQueueIsFull,
// TestStalledObserverIsNeverReconnectedTo) and an agent closed while 8
// goroutines beat (TestCloseWhileBeatingConcurrently).

// TestSocketPathReplacedByRegularFile replaces the observer's socket file
// with a regular file. The agent's socket is connected to the observer's
// socket, not to the name, so beats keep arriving while the observer runs;
// Connect and Reconnect find no socket at the path and fail, saying so
// (with ECONNREFUSED on Linux, ENOTSOCK on the BSDs and macOS), and
// Reconnect keeps the working socket. Once the observer stops, beats are
// Failed with Connect's words, from the first one (R3.9): no waiting heals
// a file at the path. Once the observer binds the path again, the next
// beat reconnects and resends.
func TestSocketPathReplacedByRegularFile(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.tickClock()
	s := newStream(t)
	beatThrough(t, v, r, s, 1)

	if err := os.Remove(r.path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.path, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	beatThrough(t, v, r, s, 2)

	errno := syscall.ENOTSOCK
	if runtime.GOOS == "linux" {
		errno = syscall.ECONNREFUSED
	}
	other, err := Connect(r.path)
	if other != nil || !errors.Is(err, errno) || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Connect to a regular file = %v, %v; want %v saying it is not a socket", other, err, errno)
	}
	if err := v.Reconnect(); !errors.Is(err, errno) || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Reconnect to a regular file = %v, want %v saying it is not a socket", err, errno)
	}
	beatThrough(t, v, r, s, 3) // the failed Reconnect kept the old socket

	// The observer stops; auto-reconnect finds the regular file.
	v.SetReconnectAfter(1)
	path := r.path
	r.close()
	for range 2 {
		out := v.Beat(StatusOK, 0)
		if !out.IsFailed() || !errors.Is(out.Err(), errno) || out.Err().Error() != err.Error() {
			t.Fatalf("beat with a regular file at the path = %v, want Failed saying what Connect says: %v", out, err)
		}
	}

	// The observer starts again and binds the path: the next drop
	// reconnects and resends.
	r = listenAt(t, path)
	beatThrough(t, v, r, s, 4)
	want := Stats{Sent: 4, Failed: 2, Reconnects: 1}
	if got := v.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

// TestSocketDirectoryWithoutSearchPermission takes permissions away from the
// directory that holds the observer's socket. Without read permission a
// path through the directory still resolves, so Connect succeeds. Without
// search permission it does not: Connect and Reconnect fail with EACCES,
// and the socket connected before keeps delivering beats. Root bypasses
// these checks, so as root the test runs in a child as user nobody, in a
// directory that user owns.
func TestSocketDirectoryWithoutSearchPermission(t *testing.T) {
	dir := os.Getenv("VARTA_TEST_OWN_DIR")
	if dir == "" {
		dir = socketDir(t)
		if os.Geteuid() == 0 {
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			runUnprivileged(t, "^TestSocketDirectoryWithoutSearchPermission$", "VARTA_TEST_OWN_DIR="+dir)
			return
		}
	}
	chmod := func(mode os.FileMode) {
		t.Helper()
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })

	r := listenAt(t, filepath.Join(dir, "obs.sock"))
	v := connectTo(t, r)
	s := newStream(t)
	beatThrough(t, v, r, s, 1)

	chmod(0o300) // write and search, no read
	other, err := Connect(r.path)
	if err != nil {
		t.Fatalf("Connect through a directory without read permission: %v", err)
	}
	other.Close()
	beatThrough(t, v, r, s, 2)

	chmod(0o600) // read and write, no search
	if other, err := Connect(r.path); other != nil || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Connect through a directory without search permission = %v, %v; want permission denied", other, err)
	}
	if err := v.Reconnect(); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("Reconnect through a directory without search permission = %v, want EACCES", err)
	}
	beatThrough(t, v, r, s, 3) // the failed Reconnect kept the old socket

	chmod(0o700)
	if err := v.Reconnect(); err != nil {
		t.Fatalf("Reconnect once permissions are back: %v", err)
	}
	beatThrough(t, v, r, s, 4)
	if got, want := v.Stats(), (Stats{Sent: 4, Reconnects: 1}); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

// TestReceiverClosedMidStream closes the observer's socket after it has
// read 100 frames while the agent beats as fast as it can, self-healing
// off so that the outcomes are the socket's own. Up to the close every beat
// is Sent or Dropped(KernelQueueFull); the first beat after it is
// Dropped(NoObserver) and every later one Dropped(PeerGone). Frames
// still queued at the close are lost with the socket, but the observer saw
// nonces 1..100 without a gap, and an observer restarted on the path
// receives the next nonce after a Reconnect.
func TestReceiverClosedMidStream(t *testing.T) {
	const readBeforeClose, peerGoneBeats = 100, 3
	r := listen(t)
	v := connectTo(t, r)
	v.SetReconnectAfter(0)

	type readResult struct {
		frames [][]byte
		err    error
	}
	read := make(chan readResult, 1)
	go func() {
		var res readResult
		for len(res.frames) < readBeforeClose && res.err == nil {
			var b []byte
			b, res.err = r.next()
			res.frames = append(res.frames, b)
		}
		r.close()
		read <- res
	}()

	var sent, full, noObserver, peerGone uint64
	deadline := time.Now().Add(30 * time.Second)
	for peerGone < peerGoneBeats {
		out := v.Beat(StatusOK, 0)
		switch {
		case out.IsSent() && noObserver == 0:
			sent++
		case out.DropReason() == KernelQueueFull && noObserver == 0:
			full++
		case out.DropReason() == NoObserver && noObserver == 0:
			noObserver++
		case out.DropReason() == PeerGone && noObserver == 1:
			peerGone++
		default:
			t.Fatalf("after %d sent, %d queue full, %d no observer and %d peer gone, a beat returned %v", sent, full, noObserver, peerGone, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("hung: the receiver did not close (%d sent, %d queue full)", sent, full)
		}
	}
	res := <-read
	if res.err != nil {
		t.Fatalf("observer: %v", res.err)
	}
	s := newStream(t)
	for _, b := range res.frames {
		s.accept(b)
	}
	if sent < readBeforeClose {
		t.Fatalf("the observer read %d frames, the agent reported only %d sent", readBeforeClose, sent)
	}
	want := Stats{Sent: sent, DroppedKernelQueueFull: full, DroppedNoObserver: 1, DroppedPeerGone: peerGoneBeats}
	if got := v.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}

	r = listenAt(t, r.path)
	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	s.nonce = sent // frames queued at the close were lost with the socket
	beatThrough(t, v, r, s, 1)
}
