package varta

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Varta is a connected agent: it sends heartbeats to one observer.
// It is safe for concurrent use by multiple goroutines; a mutex held for the
// duration of one non-blocking send (and of a reconnect, when a beat needs
// one) serialises beats, so nonces stay consecutive and (for secure UDP)
// AEAD nonces are never reused.
// A nil or closed *Varta does not panic: Beat returns a Failed outcome and
// the other methods return ErrClosed or zero values.
type Varta struct {
	mu sync.Mutex
	tr transport // nil once closed

	pid    uint32    // pid the transport was set up for
	nonce  uint64    // last committed nonce; 0 before the first beat
	epoch  time.Time // timestamps count nanoseconds from here
	lastTS uint64    // last committed timestamp

	drops          uint32 // consecutive Dropped outcomes
	reconnectAfter uint32 // 0: never reconnect by itself

	frame [FrameBytes]byte // encoding buffer, owned so a beat allocates nothing
	stats Stats

	// Test hooks that replace os.Getpid and time.Now, to simulate a fork
	// or a clock that goes backwards. They are nil outside tests, so that a
	// beat makes direct calls: an indirect one costs about 1% of a beat
	// (bench/).
	pidHook   func() int
	clockHook func() time.Time
}

// Stats counts what an agent's beats became. Every Beat call that is not
// refused for its arguments counts exactly once, as Sent, one Dropped
// reason, or Failed.
type Stats struct {
	Sent                   uint64 // accepted by the kernel
	DroppedKernelQueueFull uint64 // observer behind: EAGAIN, ENOBUFS
	DroppedNoObserver      uint64 // nothing at the address: ECONNREFUSED, ENOENT
	DroppedPeerGone        uint64 // observer went away: ECONNRESET, ENOTCONN, EPIPE
	DroppedStorageFull     uint64 // ENOSPC
	Failed                 uint64 // needs attention: see BeatOutcome.Err
	Reconnects             uint64 // successful reconnects, automatic or by Reconnect
	ClockRegressions       uint64 // times the clock went backwards (R3.4)
	ForkRecoveries         uint64 // times a new pid was detected (R3.2)
}

// Dropped returns the number of dropped beats, all reasons together.
func (s Stats) Dropped() uint64 {
	return s.DroppedKernelQueueFull + s.DroppedNoObserver + s.DroppedPeerGone + s.DroppedStorageFull
}

// ErrInitProcess is returned by the Connect functions when the calling
// process is pid 1: every observer rejects frames carrying pid 0 or 1.
var ErrInitProcess = errors.New("varta: running as pid 1 (container init): observers reject frames from pid 1; run the daemon under an init such as tini or docker run --init")

// checkPID returns pid as a frame field, or an error if no observer would
// accept frames carrying it.
func checkPID(pid int) (uint32, error) {
	switch {
	case validPID(pid):
		return uint32(pid), nil
	case pid == 1:
		return 0, ErrInitProcess
	}
	return 0, errors.New("varta: pid " + strconv.Itoa(pid) + " does not fit a VLP frame")
}

// validPID reports whether a frame can carry pid: it must fit 32 bits, and
// observers reject 0 and 1. The comparison is done in uint64 so that it
// compiles where int has 32 bits.
func validPID(pid int) bool {
	return pid > 1 && uint64(pid) <= 1<<32-1
}

// newAgent connects tr for the current process and wraps it in an agent.
func newAgent(tr transport) (*Varta, error) {
	pid, err := checkPID(os.Getpid())
	if err != nil {
		return nil, err
	}
	if err := tr.reconnect(pid); err != nil {
		return nil, tr.describe(err)
	}
	return &Varta{
		tr:    tr,
		pid:   pid,
		epoch: time.Now(),
	}, nil
}

// Beat sends one frame with the given status and payload and reports what
// became of it. It never blocks, never panics and never allocates.
//
// Sent: the kernel accepted the frame. Dropped: the observer could not take
// it now (queue full, not running, gone); the next beat reuses the same
// nonce, so the observer sees no gap. Failed: the status is StatusStall or
// unknown (nothing is sent and no counter moves), the agent is closed, or
// the system refused the send for a reason that will not clear by itself.
//
// Each beat reads the pid afresh. When it changed (the process was forked or
// restored), the agent first reconnects and restarts its nonces at 1 and its
// timestamps at 0; if that fails the beat is Failed.
//
// Two rare beats do more than send. A beat that reconnects (fork recovery,
// or SetReconnectAfter) makes a few non-blocking socket calls; over secure
// UDP a successful reconnect also draws a salt from crypto/rand and sets up
// a new cipher, which allocates. And the one beat in 2^64-1 whose nonce
// wraps writes a fixed warning line to os.Stderr (R3.3).
func (v *Varta) Beat(status Status, payload uint32) BeatOutcome {
	switch {
	case status == StatusStall:
		return stallRefused
	case status > StatusStall:
		return statusRefused
	case v == nil:
		return closedRefused
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tr == nil {
		v.stats.Failed++
		return closedRefused
	}
	if raw := v.getpid(); raw != int(v.pid) {
		if out, ok := v.followFork(raw); !ok {
			v.stats.Failed++
			return out
		}
	}

	nonce := v.nonce + 1
	if v.nonce == NonceTerminal-1 {
		nonce = 0 // wraps past the reserved terminal nonce (R3.3)
	}
	ts := v.timestamp()
	Frame{Status: status, PID: v.pid, Timestamp: ts, Nonce: nonce, Payload: payload}.Encode(&v.frame)

	out := v.tr.send(&v.frame)
	if !out.IsSent() {
		if out = v.notSent(out); !out.IsSent() {
			return out
		}
	}
	v.drops = 0
	v.stats.Sent++
	v.nonce, v.lastTS = nonce, ts // commit on success only (R3.6)
	if nonce == 0 {
		os.Stderr.Write(wrapWarning)
	}
	return out
}

// notSent handles a send the kernel did not accept. A Failed one ends any
// run of drops. A Dropped one extends it, and the drop that completes a
// run of reconnectAfter reconnects and resends the frame once (R3.7); a
// failed reconnect leaves the run complete, so the next drop tries again.
// notSent returns the final outcome and counts it in the stats, unless it
// is Sent: Beat counts and commits that.
func (v *Varta) notSent(out BeatOutcome) BeatOutcome {
	if out.IsDropped() {
		v.drops++
		if v.reconnectAfter == 0 || v.drops < v.reconnectAfter || v.tr.reconnect(v.pid) != nil {
			v.countDrop(out.reason)
			return out
		}
		v.stats.Reconnects++
		v.drops = 0
		if out = v.tr.send(&v.frame); out.IsSent() {
			return out
		}
		if out.IsDropped() {
			v.drops = 1
			v.countDrop(out.reason)
			return out
		}
	}
	v.drops = 0
	v.stats.Failed++
	return out
}

var wrapWarning = []byte("varta: beat nonce wrapped to 0 after 2^64-2 beats\n")

// followFork reconnects and resets the sequence for raw, a pid that differs
// from the one the transport was set up for (R3.2). ok is false, with a
// Failed outcome, if the pid cannot be sent or the reconnect failed.
func (v *Varta) followFork(raw int) (out BeatOutcome, ok bool) {
	pid, err := checkPID(raw)
	if err != nil {
		return failed(errInvalid, opBadPID), false
	}
	if err := v.tr.reconnect(pid); err != nil {
		return failed(errnoOf(err), opForkReconnect), false
	}
	v.pid = pid
	v.nonce = 0
	v.epoch = v.now()
	v.lastTS = 0
	v.drops = 0
	v.stats.ForkRecoveries++
	return sent, true
}

// getpid returns the calling process's pid.
func (v *Varta) getpid() int {
	if v.pidHook != nil {
		return v.pidHook()
	}
	return os.Getpid()
}

// now returns the current time, with a monotonic clock reading.
func (v *Varta) now() time.Time {
	if v.clockHook != nil {
		return v.clockHook()
	}
	return time.Now()
}

// timestamp returns nanoseconds since the epoch, never less than the last
// committed timestamp (R3.4).
func (v *Varta) timestamp() uint64 {
	if ts := uint64(max(v.sinceEpoch(), 0)); ts >= v.lastTS {
		return ts
	}
	v.stats.ClockRegressions++
	return v.lastTS
}

// sinceEpoch returns the time elapsed since the epoch. It reads only the
// monotonic clock: time.Since skips the wall-clock reading time.Now makes,
// which costs about 2% of a beat (bench/).
func (v *Varta) sinceEpoch() time.Duration {
	if v.clockHook != nil {
		return v.clockHook().Sub(v.epoch)
	}
	return time.Since(v.epoch)
}

// countDrop counts a beat dropped for reason r.
func (v *Varta) countDrop(r DropReason) {
	switch r {
	case KernelQueueFull:
		v.stats.DroppedKernelQueueFull++
	case NoObserver:
		v.stats.DroppedNoObserver++
	case PeerGone:
		v.stats.DroppedPeerGone++
	case StorageFull:
		v.stats.DroppedStorageFull++
	}
}

// errnoOf returns the errno of an error of transport.reconnect, or 0 if it
// is not a bare errno. Unlike errors.As it allocates nothing.
func errnoOf(err error) syscall.Errno {
	errno, _ := err.(syscall.Errno)
	return errno
}

// Reconnect replaces the agent's socket with a fresh one to the same
// observer (and, for secure UDP, starts a new session). The old socket is
// kept if any step fails. The nonce sequence continues.
func (v *Varta) Reconnect() error {
	if v == nil {
		return ErrClosed
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tr == nil {
		return ErrClosed
	}
	if err := v.tr.reconnect(v.pid); err != nil {
		return v.tr.describe(err)
	}
	v.stats.Reconnects++
	v.drops = 0
	return nil
}

// SetReconnectAfter makes the agent reconnect by itself after n consecutive
// Dropped beats and resend the dropped frame once (R3.7). 0, the default,
// turns this off. Setting it resets the count of consecutive drops. Every
// drop reason counts, KernelQueueFull included (an observer that stalls
// is reconnected to as one that restarted); Sent and Failed beats reset
// the count, and beats refused for their status leave it alone.
func (v *Varta) SetReconnectAfter(n uint32) {
	if v == nil {
		return
	}
	v.mu.Lock()
	v.reconnectAfter = n
	v.drops = 0
	v.mu.Unlock()
}

// Stats returns a snapshot of the agent's counters.
func (v *Varta) Stats() Stats {
	if v == nil {
		return Stats{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// ClockRegressions returns how many beats found the clock behind the last
// sent timestamp and resent that timestamp instead.
func (v *Varta) ClockRegressions() uint64 { return v.Stats().ClockRegressions }

// ForkRecoveries returns how many times a beat found a new pid and
// reconnected for it.
func (v *Varta) ForkRecoveries() uint64 { return v.Stats().ForkRecoveries }

// Close releases the socket and wipes any key material. Beats after Close
// are Failed; a second Close returns ErrClosed.
func (v *Varta) Close() error {
	if v == nil {
		return ErrClosed
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tr == nil {
		return ErrClosed
	}
	err := v.tr.close()
	v.tr = nil
	return err
}
