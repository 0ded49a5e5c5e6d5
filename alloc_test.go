package varta

// Proves that the beat paths allocate nothing (SPEC R3.8, R7.2): the table
// runner shared by every tag, and the cases of the Unix socket transport
// and of the agent itself.

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// allocCase is one beat path whose allocations are counted. setup returns
// the operation to measure and a check of the outcome it produced.
type allocCase struct {
	name  string
	setup func(t *testing.T) (op func(), check func(t *testing.T))
}

// expectOutcome returns an op that beats on v and a check that every beat
// had the wanted outcome; after is run after each beat (to drain a
// receiver, say) and must not allocate either.
func expectOutcome(v *Varta, want BeatOutcome, after func()) (func(), func(*testing.T)) {
	return expectSend(func() BeatOutcome { return v.Beat(StatusOK, 7) }, want, after)
}

// expectTerminal is expectOutcome for terminal frames.
func expectTerminal(v *Varta, want BeatOutcome, after func()) (func(), func(*testing.T)) {
	return expectSend(v.SendTerminal, want, after)
}

// expectSend returns an op that calls send and a check that every call
// had the wanted outcome; after is run after each call.
func expectSend(send func() BeatOutcome, want BeatOutcome, after func()) (func(), func(*testing.T)) {
	var bad BeatOutcome
	op := func() {
		if out := send(); out != want {
			bad = out
		}
		if after != nil {
			after()
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		if bad != (BeatOutcome{}) {
			t.Fatalf("a send returned %v, want %v", bad, want)
		}
	}
	return op, check
}

// expectForkRecoveries returns an op that beats on v as a process forked
// before every beat (a new pid and a cleared mark), and a check that each
// beat was Sent after a fork recovery; drain runs after each beat.
func expectForkRecoveries(v *Varta, drain func()) (func(), func(*testing.T)) {
	pid := os.Getpid()
	v.setPIDSource(func() int { pid++; return pid })
	op, check := expectSend(func() BeatOutcome {
		clearForkMark()
		return v.Beat(StatusOK, 7)
	}, sent, drain)
	return op, func(t *testing.T) {
		t.Helper()
		check(t)
		if st := v.Stats(); st.ForkRecoveries != st.Sent {
			t.Fatalf("Stats = %+v, want a fork recovery in every beat", st)
		}
	}
}

// expectReconnects returns an op that calls v.Reconnect and a check that
// every call succeeded.
func expectReconnects(v *Varta) (func(), func(*testing.T)) {
	var err error
	return func() {
			if e := v.Reconnect(); e != nil {
				err = e
			}
		}, func(t *testing.T) {
			t.Helper()
			if err != nil {
				t.Fatalf("Reconnect: %v", err)
			}
		}
}

// deadSockets returns n sockets connected to an observer that has closed
// since: the first send on each is refused as NoObserver. It closes at
// cleanup those still in the slice (the caller sets handed-over ones to
// -1).
func deadSockets(t *testing.T, n int) []int {
	t.Helper()
	r := listen(t)
	fds := make([]int, 0, n)
	t.Cleanup(func() {
		for _, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	})
	for range n {
		ep := endpoint{family: unix.AF_UNIX, path: &syscall.SockaddrUnix{Name: r.path}}
		fd, f := ep.dial()
		if f.failed() {
			t.Fatal(ep.describe(f))
		}
		fds = append(fds, fd)
	}
	r.close()
	return fds
}

var allocCases = []allocCase{
	{"uds/sent", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		return expectOutcome(connectTo(t, r), sent, func() { r.tryRead() })
	}},
	// The drop itself, with self-healing off.
	{"uds/dropped-receiver-gone", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.SetReconnectAfter(0)
		r.close()
		v.Beat(StatusOK, 0) // the first send learns the peer is gone
		return expectOutcome(v, dropped(PeerGone), nil)
	}},
	{"uds/dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		fillQueue(t, v)
		return expectOutcome(v, dropped(KernelQueueFull), nil)
	}},
	// A dead observer at its default settings, beats an interval apart:
	// every beat tries one reconnect, which finds nobody (R3.9).
	{"uds/dropped-dead-observer", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.tickClock()
		r.close()
		os.Remove(r.path) // every reconnect fails with ENOENT
		v.Beat(StatusOK, 0)
		return expectOutcome(v, dropped(NoObserver), nil)
	}},
	// The same, all beats within one interval: they touch no socket and
	// return what the last reconnect found.
	{"uds/dropped-dead-observer-within-interval", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.freezeClock()
		r.close()
		os.Remove(r.path)
		v.Beat(StatusOK, 0)
		return expectOutcome(v, dropped(NoObserver), nil)
	}},
	{"uds/dropped-dead-observer-reconnect-after-3", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.tickClock()
		r.close()
		os.Remove(r.path)
		v.SetReconnectAfter(3)
		for range 3 {
			v.Beat(StatusOK, 0) // the third completes the run and reconnects
		}
		return expectOutcome(v, dropped(NoObserver), nil)
	}},
	// A killed observer left its socket file: every reconnect is refused,
	// and a stat finds a socket there.
	{"uds/dropped-stale-socket-file", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.tickClock()
		r.close()
		v.Beat(StatusOK, 0)
		return expectOutcome(v, dropped(NoObserver), nil)
	}},
	// A regular file at the path: every reconnect is refused, a stat
	// finds no socket, and the beat is Failed (R3.9).
	{"uds/failed-file-at-path", func(t *testing.T) (func(), func(*testing.T)) {
		v := connectToFileAtPath(t)
		v.tickClock()
		v.Beat(StatusOK, 0)
		return expectOutcome(v, fileAtPath(v), nil)
	}},
	{"uds/failed-file-at-path-within-interval", func(t *testing.T) (func(), func(*testing.T)) {
		v := connectToFileAtPath(t)
		v.freezeClock()
		v.Beat(StatusOK, 0)
		return expectOutcome(v, fileAtPath(v), nil)
	}},
	// A stalled observer, its path checked on every beat: the path still
	// names its socket, so the agent stays.
	{"uds/dropped-queue-full-path-checked", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		fillQueue(t, v)
		v.tickClock()
		op, check := expectOutcome(v, dropped(KernelQueueFull), nil)
		return op, func(t *testing.T) {
			check(t)
			if st := v.Stats(); st.Reconnects != 0 {
				t.Fatalf("Stats = %+v, want no reconnect", st)
			}
		}
	}},
	// A stalled observer whose path names another socket before every
	// beat: each beat reconnects and resends (here to the same full queue).
	{"uds/dropped-queue-full-observer-replaced", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		fillQueue(t, v)
		v.tickClock()
		v.forgetBound()
		op, check := expectOutcome(v, dropped(KernelQueueFull), v.forgetBound)
		return op, func(t *testing.T) {
			check(t)
			if st := v.Stats(); st.Reconnects != st.DroppedKernelQueueFull-1 {
				t.Fatalf("Stats = %+v, want a reconnect in every beat but the one that filled the queue", st)
			}
		}
	}},
	// Every beat finds its observer gone, reconnects to a live one at
	// its default settings and resends.
	{"uds/sent-after-reconnect", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.tickClock()
		dead := deadSockets(t, 256)
		next := 0
		giveDead := func() {
			v.replaceSocket(dead[next])
			dead[next] = -1 // the agent owns it now
			next++
		}
		giveDead()
		op, check := expectOutcome(v, sent, func() {
			r.tryRead()
			giveDead()
		})
		return op, func(t *testing.T) {
			check(t)
			if st := v.Stats(); st.Reconnects != st.Sent || st.Dropped() != 0 {
				t.Fatalf("Stats = %+v, want a reconnect in every beat and no drop", st)
			}
		}
	}},
	{"uds/failed-fork-recovery", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		r.close()
		os.Remove(r.path)
		v.setPIDSource(func() int { return os.Getpid() + 1 })
		return expectOutcome(v, failed(unix.ENOENT, opForkReconnect), nil)
	}},
	{"uds/failed-fork-into-pid-1", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.setPIDSource(func() int { return 1 })
		return expectOutcome(v, failed(unix.EINVAL, opBadPID), nil)
	}},
	{"uds/dropped-queue-full-reconnect-after-1", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		fillQueue(t, v)
		v.SetReconnectAfter(1) // a full queue never reconnects
		op, check := expectOutcome(v, dropped(KernelQueueFull), nil)
		return op, func(t *testing.T) {
			check(t)
			if st := v.Stats(); st.Reconnects != 0 {
				t.Fatalf("Stats = %+v, want no reconnect", st)
			}
		}
	}},
	{"uds/fork-recovery", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		return expectForkRecoveries(v, func() { r.tryRead() })
	}},
	{"failed-closed-agent", func(t *testing.T) (func(), func(*testing.T)) {
		v := connectTo(t, listen(t))
		v.Close()
		return expectOutcome(v, closedRefused, nil)
	}},
	{"failed-stall-refused", func(t *testing.T) (func(), func(*testing.T)) {
		v := connectTo(t, listen(t))
		var bad BeatOutcome
		return func() {
				if out := v.Beat(StatusStall, 0); out != stallRefused {
					bad = out
				}
			}, func(t *testing.T) {
				if bad != (BeatOutcome{}) {
					t.Fatalf("Beat(StatusStall) = %v", bad)
				}
			}
	}},
	{"uds/reconnect", func(t *testing.T) (func(), func(*testing.T)) {
		return expectReconnects(connectTo(t, listen(t)))
	}},
	{"uds/terminal-sent", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		return expectTerminal(connectTo(t, r), sent, func() { r.tryRead() })
	}},
	{"uds/terminal-dropped-queue-full", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		fillQueue(t, v)
		return expectTerminal(v, dropped(KernelQueueFull), nil)
	}},
	{"uds/terminal-failed-after-fork", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.setPIDSource(func() int { return os.Getpid() + 1 })
		return expectTerminal(v, failed(0, opTerminalForked), func() {
			if r.tryRead() {
				t.Error("a terminal frame after a fork reached the observer")
			}
		})
	}},
	{"terminal-closed-agent", func(t *testing.T) (func(), func(*testing.T)) {
		v := connectTo(t, listen(t))
		v.Close()
		return expectTerminal(v, terminalClosed, nil)
	}},
	{"guard-without-panic", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		return func() { func() { defer v.Guard() }() }, func(t *testing.T) { r.expectNothing() }
	}},
	{"stats", func(t *testing.T) (func(), func(*testing.T)) {
		r := listen(t)
		v := connectTo(t, r)
		v.Beat(StatusOK, 0)
		var got Stats
		return func() { got = v.Stats() }, func(t *testing.T) {
			if got.Sent != 1 {
				t.Fatalf("Stats().Sent = %d, want 1", got.Sent)
			}
		}
	}},
}

// TestBeatPathsAllocateNothing checks SPEC R3.8 and R7.2: every outcome
// of a beat and of a terminal frame, Guard when nothing panics, Reconnect
// and Stats allocate nothing, with either fork check. The UDP and secure
// UDP paths are counted by TestUDPBeatPathsAllocateNothing and
// TestSecureBeatPathsAllocateNothing.
func TestBeatPathsAllocateNothing(t *testing.T) {
	runAllocCases(t, allocCases)
}

// runAllocCases counts the allocations of every case, with either fork
// check.
func runAllocCases(t *testing.T, cases []allocCase) {
	t.Helper()
	forkChecks(t, func(t *testing.T, _ ForkCheck) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				op, check := tc.setup(t)
				op() // warm up: first-use work is not per-beat work
				if n := testing.AllocsPerRun(200, op); n != 0 {
					t.Errorf("got %v allocations, want 0", n)
				}
				check(t)
			})
		}
	})
}
