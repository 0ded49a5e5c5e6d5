package varta

// Proves, on Linux, that Connect fails clearly when out of file
// descriptors and that a stalled observer is never reconnected to.

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// TestConnectFailsClearlyWhenOutOfFileDescriptors exhausts the process's
// descriptors. Connect and Reconnect fail with EMFILE and say so; the
// failed Reconnect keeps the working socket; automatic reconnects fail
// without harm; nothing leaks; and once descriptors are free again the next
// drop reconnects and the beat gets through.
func TestConnectFailsClearlyWhenOutOfFileDescriptors(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.tickClock() // every beat may reconnect (R3.9)
	s := newStream(t)
	beatThrough(t, v, r, s, 1)
	fds := openFDs(t)

	checkEMFILE := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "socket") || !strings.Contains(err.Error(), "no file descriptor left") {
			t.Fatalf("%s at the descriptor limit = %v, want EMFILE from socket, saying so", what, err)
		}
	}
	atFDLimit(t, func() {
		other, err := Connect(r.path)
		if other != nil {
			t.Fatal("Connect at the descriptor limit returned an agent")
		}
		checkEMFILE("Connect", err)
		checkEMFILE("Reconnect", v.Reconnect())
		beatThrough(t, v, r, s, 2) // the failed Reconnect kept the old socket
	})
	if got := openFDs(t); got != fds {
		t.Fatalf("%d descriptors open after the failures, want %d", got, fds)
	}

	// The observer restarts while descriptors are exhausted: automatic
	// reconnects fail for a reason that does not clear by itself, and the
	// beats say so as Failed (EMFILE) instead of a drop with nothing to fix.
	path := r.path
	r.close()
	r = listenAt(t, path)
	fds = openFDs(t)
	v.SetReconnectAfter(1)
	atFDLimit(t, func() {
		for range 2 {
			out := v.Beat(StatusOK, 0)
			if !out.IsFailed() {
				t.Fatalf("beat with the observer restarted and no descriptor left = %v, want Failed", out)
			}
			checkEMFILE("beat", out.Err())
		}
	})
	if got := openFDs(t); got != fds {
		t.Fatalf("%d descriptors open after the failed reconnects, want %d", got, fds)
	}
	beatThrough(t, v, r, s, 3)
	want := Stats{Sent: 3, Failed: 2, Reconnects: 1}
	if got := v.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

// TestStalledObserverIsNeverReconnectedTo beats 10,000 times into an
// observer that has stopped reading, with self-healing off, at its default
// and at SetReconnectAfter(1). Every beat returns Dropped(KernelQueueFull)
// at once, and none reconnects: a full queue means the observer is alive
// but behind (R3.7). Nothing leaks, and once the observer reads again the
// next beat gets through with the next nonce.
func TestStalledObserverIsNeverReconnectedTo(t *testing.T) {
	const beats = 10_000
	for _, tc := range []struct {
		name string
		set  func(v *Varta)
	}{
		{"default", func(*Varta) {}},
		{"reconnect-after-0", func(v *Varta) { v.SetReconnectAfter(0) }},
		{"reconnect-after-1", func(v *Varta) { v.SetReconnectAfter(1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := listen(t)
			v := connectTo(t, r)
			tc.set(v)
			fillQueue(t, v)
			queued := v.Stats().Sent
			fds := openFDs(t)
			for range beats {
				expectBeat(t, v, "dropped: kernel queue full")
			}
			if got := openFDs(t); got != fds {
				t.Fatalf("%d descriptors open after the drops, want %d", got, fds)
			}
			want := Stats{Sent: queued, DroppedKernelQueueFull: 1 + beats}
			if got := v.Stats(); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
			if n := r.drain(); uint64(n) != queued {
				t.Fatalf("observer holds %d frames, the agent reported %d sent", n, queued)
			}
			if out := v.Beat(StatusOK, 0); !out.IsSent() {
				t.Fatalf("beat once the observer reads again = %v, want Sent", out)
			}
			if o, err := observe(r.recv()); err != nil || o.nonce != queued+1 {
				t.Fatalf("frame after the stall: nonce %d (%v), want %d", o.nonce, err, queued+1)
			}
		})
	}
}
