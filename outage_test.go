package varta

// Proves R3.9 over a Unix socket: an outage is reported as what it is
// (NoObserver while nothing is bound, Failed with Connect's words for what
// no waiting fixes), reconnect attempts are spaced in time, and an observer
// that replaced a stalled one at its path is found. The clock is injected,
// so the pacing is exact and no test sleeps.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stopObserver closes r and, unless keepFile, removes its socket file, as
// an observer that shuts down does (one that is killed leaves the file).
func stopObserver(t *testing.T, r *receiver, keepFile bool) {
	t.Helper()
	r.close()
	if !keepFile {
		if err := os.Remove(r.path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutageOfPacedBeatsIsCountedAsNoObserver stops the observer under an
// agent at its default settings that beats every 20 ms: every one of 50
// beats reads Dropped(NoObserver), whatever its stale socket said
// (ECONNREFUSED, then ENOTCONN), and Stats count them so, whether the
// observer removed its socket file or left it behind.
func TestOutageOfPacedBeatsIsCountedAsNoObserver(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keepFile bool
	}{{"socket-file-removed", false}, {"socket-file-left", true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := listen(t)
			v := connectTo(t, r)
			v.stepClock(20 * time.Millisecond)
			expectBeat(t, v, "sent")
			stopObserver(t, r, tc.keepFile)
			for i := range 50 {
				if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
					t.Fatalf("beat %d with no observer = %v, want dropped: no observer", i, out)
				}
			}
			want := Stats{Sent: 1, DroppedNoObserver: 50}
			if got := v.Stats(); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
		})
	}
}

// TestWhatWaitingCannotFixFailsAtOnce leaves a regular file, a directory
// or a stream socket at the path of an observer that stopped. From the
// first beat on, every beat of 6 paced 20 ms apart is Failed, with the
// errno and the very words of Connect's error for the same path. Once the
// thing is removed and an observer binds the path, the next beat an
// interval later is Sent and arrives with the next nonce.
func TestWhatWaitingCannotFixFailsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		put   func(t *testing.T, path string) (remove func())
		words string
	}{
		{"regular-file", func(t *testing.T, path string) func() {
			if err := os.WriteFile(path, []byte("not a socket"), 0o600); err != nil {
				t.Fatal(err)
			}
			return func() { os.Remove(path) }
		}, "not a socket"},
		{"directory", func(t *testing.T, path string) func() {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
			return func() { os.Remove(path) }
		}, "names a directory"},
		{"stream-socket", func(t *testing.T, path string) func() {
			fd, err := openSocket(unix.AF_UNIX, unix.SOCK_STREAM)
			if err != nil {
				t.Fatal(err)
			}
			if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
				unix.Close(fd)
				t.Fatal(err)
			}
			if err := unix.Listen(fd, 1); err != nil {
				unix.Close(fd)
				t.Fatal(err)
			}
			return func() { unix.Close(fd); os.Remove(path) }
		}, "not a datagram socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := listen(t)
			v := connectTo(t, r)
			v.stepClock(20 * time.Millisecond)
			s := newStream(t)
			beatThrough(t, v, r, s, 1)
			path := r.path
			stopObserver(t, r, false)
			remove := tc.put(t, path)

			_, connectErr := Connect(path)
			if connectErr == nil || !strings.Contains(connectErr.Error(), tc.words) {
				t.Fatalf("Connect = %v, want an error saying %q", connectErr, tc.words)
			}
			var errno syscall.Errno
			if !errors.As(connectErr, &errno) {
				t.Fatalf("Connect's error %v carries no errno", connectErr)
			}
			for i := range 6 {
				out := v.Beat(StatusOK, 0)
				if !out.IsFailed() || !errors.Is(out.Err(), errno) || out.Err().Error() != connectErr.Error() {
					t.Fatalf("beat %d = %v, want Failed with %v, worded as Connect words it: %v", i, out, errno, connectErr)
				}
			}

			remove()
			r = listenAt(t, path)
			v.advanceClock(time.Duration(reconnectSpacing))
			beatThrough(t, v, r, s, 2)
			want := Stats{Sent: 2, Failed: 6, Reconnects: 1}
			if got := v.Stats(); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
		})
	}
}

// TestReconnectFailuresAreWordedAsConnectWordsThem makes every reconnect
// of an agent fail with a given errno: nothing bound (ENOENT,
// ECONNREFUSED at a socket) reads Dropped(NoObserver); a permission
// (EACCES, EPERM), a socket of another type (EPROTOTYPE) or no descriptor
// left (EMFILE) reads Failed with that errno and the error Connect and
// Reconnect return for it.
func TestReconnectFailuresAreWordedAsConnectWordsThem(t *testing.T) {
	for _, f := range []dialErr{
		{call: callConnect, errno: unix.ENOENT},
		{call: callConnect, errno: unix.ECONNREFUSED},
		{call: callConnect, errno: unix.EACCES},
		{call: callConnect, errno: unix.EPERM},
		{call: callConnect, errno: unix.EPROTOTYPE},
		{call: callSocket, errno: unix.EMFILE},
	} {
		t.Run(f.errno.Error(), func(t *testing.T) {
			tr := countingTransport{refusal: dropped(PeerGone), confirms: true, dialFailure: f}
			v := tr.agent(t)
			out := v.Beat(StatusOK, 0)
			if dropReasonOf(f.errno) == NoObserver {
				if out != dropped(NoObserver) {
					t.Fatalf("beat whose reconnect failed with %v = %v, want dropped: no observer", f.errno, out)
				}
				return
			}
			want := v.ep.describe(f)
			if !out.IsFailed() || !errors.Is(out.Err(), f.errno) || out.Err().Error() != want.Error() {
				t.Fatalf("beat whose reconnect failed with %v = %v, want Failed worded as %v", f.errno, out, want)
			}
		})
	}
}

// TestPermissionAtObserverPathFailsAtOnce restarts the observer with a
// socket file this user may not write to: the first beat is Failed with
// EACCES and Connect's words, and once the permission is given, the next
// beat an interval later is Sent. Root bypasses the check, so as root the
// test runs in a child as user nobody, in a directory that user owns.
func TestPermissionAtObserverPathFailsAtOnce(t *testing.T) {
	dir := os.Getenv("VARTA_TEST_OWN_DIR")
	if dir == "" {
		dir = socketDir(t)
		if os.Geteuid() == 0 {
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			runUnprivileged(t, "^TestPermissionAtObserverPathFailsAtOnce$", "VARTA_TEST_OWN_DIR="+dir)
			return
		}
	}
	r := listenAt(t, filepath.Join(dir, "obs.sock"))
	v := connectTo(t, r)
	v.freezeClock()
	s := newStream(t)
	beatThrough(t, v, r, s, 1)

	path := r.path
	stopObserver(t, r, false)
	r = listenAt(t, path)
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	_, connectErr := Connect(path)
	if !errors.Is(connectErr, unix.EACCES) || !strings.Contains(connectErr.Error(), "permission denied") {
		t.Fatalf("Connect to a socket without write permission = %v, want EACCES", connectErr)
	}
	for i := range 3 {
		out := v.Beat(StatusOK, 0)
		if !out.IsFailed() || !errors.Is(out.Err(), unix.EACCES) || out.Err().Error() != connectErr.Error() {
			t.Fatalf("beat %d = %v, want Failed worded as Connect words it: %v", i, out, connectErr)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	v.advanceClock(time.Duration(reconnectSpacing))
	beatThrough(t, v, r, s, 2)
}

// TestOutageReconnectsAtMostOncePerInterval beats 1,000 times within one
// reconnect spacing into an observer that is gone: one beat sends and
// reconnects, the others touch no socket and return what that reconnect
// found, counted as such: nothing bound, or a permission. The first beat
// an interval later tries again, once.
func TestOutageReconnectsAtMostOncePerInterval(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failure dialErr
		want    string
		stats   func(n uint64) Stats
	}{
		{"nothing-bound", dialErr{call: callConnect, errno: unix.ENOENT}, "dropped: no observer",
			func(n uint64) Stats { return Stats{DroppedNoObserver: n} }},
		{"permission", dialErr{call: callConnect, errno: unix.EACCES}, "failed: varta: connect to observer at",
			func(n uint64) Stats { return Stats{Failed: n} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := countingTransport{refusal: dropped(PeerGone), confirms: true, dialFailure: tc.failure}
			v := tr.agent(t)
			v.freezeClock()
			beats := func(n int, sends, dials int) {
				t.Helper()
				for i := range n {
					if out := v.Beat(StatusOK, 0); !strings.HasPrefix(out.String(), tc.want) {
						t.Fatalf("beat %d = %v, want %s...", i, out, tc.want)
					}
				}
				if tr.sends != sends || tr.reconnects != dials {
					t.Fatalf("%d sends and %d reconnects, want %d and %d", tr.sends, tr.reconnects, sends, dials)
				}
			}
			beats(1000, 1, 1)
			v.advanceClock(time.Duration(reconnectSpacing) - 1)
			beats(1000, 1, 1)
			v.advanceClock(1)
			beats(1000, 2, 2)
			if got := v.Stats(); got != tc.stats(3000) {
				t.Fatalf("Stats = %+v, want %+v", got, tc.stats(3000))
			}
		})
	}
}

// TestRestartedObserverIsReachedWithinAnInterval restarts the observer
// under an agent that beats in a loop without pauses, and under one that
// beats every 100 ms. In the loop, the beats before the interval ends
// still read NoObserver and the first beat after it is Sent (well within
// 1 s); at 100 ms the first beat after the restart is Sent. Either way the
// observer sees the next nonce.
func TestRestartedObserverIsReachedWithinAnInterval(t *testing.T) {
	t.Run("hot-loop", func(t *testing.T) {
		r := listen(t)
		v := connectTo(t, r)
		v.freezeClock()
		s := newStream(t)
		beatThrough(t, v, r, s, 1)
		path := r.path
		stopObserver(t, r, false)
		expectBeat(t, v, "dropped: no observer")
		r = listenAt(t, path)
		for range 100 {
			expectBeat(t, v, "dropped: no observer")
		}
		r.expectNothing()
		v.advanceClock(time.Duration(reconnectSpacing))
		beatThrough(t, v, r, s, 2)
	})
	t.Run("every-100ms", func(t *testing.T) {
		r := listen(t)
		v := connectTo(t, r)
		v.stepClock(100 * time.Millisecond)
		s := newStream(t)
		beatThrough(t, v, r, s, 1)
		path := r.path
		stopObserver(t, r, false)
		expectBeat(t, v, "dropped: no observer")
		r = listenAt(t, path)
		beatThrough(t, v, r, s, 2)
	})
}

// TestStalledObserverReplacedAtItsPathIsFound fills the queue of an
// observer that never reads, then binds a new observer at its path after
// removing the old socket file, while the old one keeps its socket open.
// At a cadence of 10 ms the new observer gets a beat within 1 s (100
// beats) of binding, with the next nonce, and the old one gets nothing
// more. While the path names no socket, or the stalled one still, the
// agent never reconnects (R3.7).
func TestStalledObserverReplacedAtItsPathIsFound(t *testing.T) {
	stalled := func(t *testing.T) (*Varta, *receiver, *stream) {
		r := listen(t)
		v := connectTo(t, r)
		v.stepClock(10 * time.Millisecond)
		s := newStream(t)
		for {
			out := v.Beat(StatusOK, 0)
			if out.DropReason() == KernelQueueFull {
				break
			}
			if !out.IsSent() {
				t.Fatalf("filling the queue: %v", out)
			}
			s.nonce++
		}
		return v, r, s
	}
	expectFullFor := func(t *testing.T, v *Varta, beats int) {
		t.Helper()
		for i := range beats {
			if out := v.Beat(StatusOK, 0); out != dropped(KernelQueueFull) {
				t.Fatalf("beat %d = %v, want dropped: kernel queue full", i, out)
			}
		}
		if n := v.Stats().Reconnects; n != 0 {
			t.Fatalf("%d reconnects to a stalled observer", n)
		}
	}

	t.Run("replaced", func(t *testing.T) {
		v, old, s := stalled(t)
		if err := os.Remove(old.path); err != nil {
			t.Fatal(err)
		}
		r := listenAt(t, old.path)
		for i := 0; ; i++ {
			out := v.Beat(StatusOK, 9)
			if out.IsSent() {
				break
			}
			if out != dropped(KernelQueueFull) || i == 100 {
				t.Fatalf("beat %d after the new observer bound = %v, want Sent within 100 beats", i, out)
			}
		}
		if o := s.accept(r.recv()); o.payload != 9 {
			t.Fatalf("the new observer got payload %d, want 9", o.payload)
		}
		if n := v.Stats().Reconnects; n != 1 {
			t.Fatalf("Reconnects = %d, want 1", n)
		}
		before := old.drain()
		beatThrough(t, v, r, s, 10)
		if n := old.drain(); n != 0 {
			t.Fatalf("the stalled observer got %d frames after the new one bound (had %d queued)", n, before)
		}
	})
	t.Run("path-unchanged", func(t *testing.T) {
		v, _, _ := stalled(t)
		expectFullFor(t, v, 200)
	})
	t.Run("socket-file-removed", func(t *testing.T) {
		v, old, _ := stalled(t)
		if err := os.Remove(old.path); err != nil {
			t.Fatal(err)
		}
		expectFullFor(t, v, 200)
	})
	t.Run("regular-file-at-path", func(t *testing.T) {
		v, old, _ := stalled(t)
		if err := os.Remove(old.path); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(old.path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		expectFullFor(t, v, 200)
	})
	// The stalled observer is killed (its socket closed, its file
	// removed) just after a beat looked at its path: the first beat that
	// finds it gone reconnects at once, whatever that look was, and reads
	// Dropped(NoObserver), as does every beat of the outage.
	t.Run("stalled-then-gone", func(t *testing.T) {
		v, old, _ := stalled(t)
		v.stepClock(5 * time.Millisecond)
		expectFullFor(t, v, 1) // looks at the path
		old.close()
		if err := os.Remove(old.path); err != nil {
			t.Fatal(err)
		}
		for i := range 40 {
			if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
				t.Fatalf("beat %d after the stalled observer went = %v, want dropped: no observer", i, out)
			}
		}
		if st := v.Stats(); st.DroppedPeerGone != 0 || st.DroppedNoObserver != 40 {
			t.Fatalf("Stats = %+v, want 40 NoObserver and no PeerGone", st)
		}
	})
}
