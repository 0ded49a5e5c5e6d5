//go:build unix

package varta

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Varta is a connected agent: it sends heartbeats to one observer. It is
// safe for concurrent use by multiple goroutines, and a nil or closed *Varta
// does not panic: Beat returns a Failed outcome and the other methods return
// [ErrClosed] or zero values.
type Varta struct {
	// The fields every beat reads come first, so that a beat touches as
	// few cache lines as it can; what only outages, reconnects and tests
	// use comes after stats.
	mu sync.Mutex
	fd int // the socket connected to the observer; -1 once closed

	pid    uint32    // pid the socket and seal were set up for
	nonce  uint64    // last committed nonce; 0 before the first beat
	epoch  time.Time // timestamps count nanoseconds from here
	lastTS uint64    // last committed timestamp

	mark *atomic.Uint64 // the process's wipe-on-fork mark; nil: read the pid (ForkCheckPID)
	gen  uint64         // generation of mark the socket and seal were set up for

	drops          uint32 // consecutive drops that count toward a reconnect (R3.7)
	reconnectAfter uint32 // 0: never reconnect by itself

	// Spacing in time (R3.9): before pathAt (a timestamp) no beat
	// reconnects, and before statAt no beat of a full queue stats the
	// observer's path; the two are apart, so that an outage that starts
	// just after a look at a stalled observer's path reconnects at once.
	// outage is what the last failed reconnect found (a NoObserver drop,
	// or Failed), or over UDP the NoObserver drop the socket last
	// reported, returned by the beats of its interval without a send;
	// zero once the observer was reached. bound is the socket file the
	// path named when the socket connected, to notice an observer that
	// replaced a stalled one.
	pathAt uint64
	outage BeatOutcome

	frame [FrameBytes]byte // encoding buffer, owned so a beat allocates nothing
	seal  *sealing         // secure UDP's key, session and sealed frame; nil for plain frames

	// Test hooks that replace os.Getpid and time.Now, to simulate a fork
	// or a clock that goes backwards, and the send and the dial, to make
	// the kernel refuse a frame or a reconnect at will. Go has no fork
	// that goes on running Go code, and the child of a raw fork can do
	// little safely, so most fork tests simulate one: a new pid alone in
	// ForkCheckPID mode, a new pid and a cleared mark in ForkCheckMark
	// mode (where the pid is read only once the mark is gone). They are
	// nil outside tests, so that a beat makes direct calls: an indirect
	// one costs about 1% of a beat (bench/).
	pidHook   func() int
	clockHook func() time.Time
	sendHook  func(wire []byte) BeatOutcome

	stats Stats

	statAt uint64   // see pathAt
	bound  pathFile // see pathAt

	ep    *endpoint  // the observer: how to open a socket to it, how errors name it; replaced, never changed, so that an outcome may keep it
	watch *nameWatch // follows the observer's name over UDP; nil for an IP literal or a Unix socket

	dialHook func() (int, dialErr) // a test hook, as pidHook
}

// Stats counts what an agent's beats became. Every Beat call that is not
// refused for its arguments counts exactly once, as Sent, one Dropped
// reason, or Failed.
type Stats struct {
	Sent                   uint64 // accepted by the kernel
	DroppedKernelQueueFull uint64 // observer behind: EAGAIN, ENOBUFS
	DroppedNoObserver      uint64 // nothing at the address: ECONNREFUSED, ENOENT; every beat of an outage
	DroppedPeerGone        uint64 // observer went away and no reconnect told more: ECONNRESET, ENOTCONN, EPIPE
	DroppedStorageFull     uint64 // ENOSPC
	Failed                 uint64 // needs attention: see BeatOutcome.Err
	Reconnects             uint64 // successful reconnects: automatic, by Reconnect, or to a new address of the observer's name
	ClockRegressions       uint64 // times the clock went backwards (R3.4)
	ForkRecoveries         uint64 // times a fork was detected and followed (R3.2)
	Resolutions            uint64 // lookups of the observer's name after connect, by the agent or by Reconnect
	ResolutionFailures     uint64 // lookups that found no usable address; the agent kept its own
	AddressChanges         uint64 // times the name named a new address and the agent moved its socket there
}

// Dropped returns the number of dropped beats, all reasons together.
func (s Stats) Dropped() uint64 {
	return s.DroppedKernelQueueFull + s.DroppedNoObserver + s.DroppedPeerGone + s.DroppedStorageFull
}

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

// newAgent returns an agent for the observer at ep, sealing its frames
// with seal (nil for plain frames), with a socket set up for the current
// process. On error it wipes seal.
func newAgent(ep endpoint, seal *sealing) (*Varta, error) {
	v := &Varta{fd: -1, ep: &ep, seal: seal}
	pid, err := checkPID(os.Getpid())
	if err != nil {
		seal.close()
		return nil, err
	}
	if v.mark = processForkMark(); v.mark != nil {
		// Read before the socket is set up: a fork in between then shows
		// at the first beat.
		v.gen = remark(v.mark)
	}
	if f := v.setUp(pid); f.failed() {
		seal.close()
		return nil, ep.describe(f)
	}
	v.pid = pid
	v.epoch = time.Now()
	if ep.confirmsObserver() {
		// R3.7: 1 where a reconnect can find a restarted observer (Unix
		// sockets), 0 over UDP, where the socket reaches a restarted
		// observer without one and a fresh socket could not tell whether
		// anyone listens.
		v.reconnectAfter = 1
	}
	return v, nil
}

// setUp sets the agent up for a process with the given pid, at connect
// and after a fork: a fresh socket and, for secure UDP, a new session. If
// no socket can be opened the agent stays as it was. The socket comes
// first: a setup that fails for want of one (the usual failure) allocates
// nothing and reads no entropy.
func (v *Varta) setUp(pid uint32) dialErr {
	f := v.reconnect()
	if !f.failed() {
		v.seal.restart(pid)
	}
	return f
}

// reconnect replaces the socket with a fresh one to the same observer
// (R3.7, Reconnect), and keeps the old one if that fails. Nothing else is
// renewed.
func (v *Varta) reconnect() dialErr {
	fd, f := v.dial()
	if f.failed() {
		return f
	}
	v.swapSocket(fd)
	v.bound = v.ep.stat()
	return f
}

// dial opens a socket connected to the observer (endpoint.dial).
func (v *Varta) dial() (int, dialErr) {
	if v.dialHook != nil {
		return v.dialHook()
	}
	return v.ep.dial()
}

// swapSocket makes fd the agent's socket and closes the one it replaces.
func (v *Varta) swapSocket(fd int) {
	if v.fd >= 0 {
		unix.Close(v.fd)
	}
	v.fd = fd
}

// send seals the frame, if the agent seals, and sends it once. A secure
// agent consumes the AEAD nonce it sealed under whatever the send returns
// (R6.4).
func (v *Varta) send() BeatOutcome {
	return v.sendWire(v.seal.beat(&v.frame))
}

// sendWire writes wire as one datagram on the agent's socket and
// classifies the result (SPEC section 4). The socket is non-blocking and
// outside Go's network poller, so a full receiver queue returns EAGAIN at
// once instead of parking the goroutine.
func (v *Varta) sendWire(wire []byte) BeatOutcome {
	if v.sendHook != nil {
		return v.sendHook(wire)
	}
	if err := unix.Send(v.fd, wire, sendFlags); err != nil {
		return classifyErrno(errnoOf(err))
	}
	return sent
}

// Beat sends one frame with the given status and payload and reports what
// became of it: Sent, Dropped (the observer cannot take it now; the next
// beat reuses its nonce) or Failed. It never blocks and never panics, and it
// allocates nothing except on the rare paths listed under "What Beat
// returns" in the package documentation. Each beat first checks for a fork
// (see "Forks and the fork mark") and may reconnect to an observer that went
// away or, over a Unix socket, that replaced a stalled one at its path (see
// "Self-healing"). While a Unix-socket observer is down it reads
// Dropped(NoObserver), or Failed, with Connect's words, when something at
// the path keeps any observer out (a file, a directory, a stream socket, a
// permission); it reconnects at most once per 50 ms, and the beats in
// between send nothing and cost less than a send. Over UDP the beats of
// the 50 ms after a refused send read Dropped(NoObserver) without a send.
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
	if v.fd < 0 {
		v.stats.Failed++
		return closedRefused
	}
	if !v.sameProcess() {
		if out, ok := v.followFork(); !ok {
			v.stats.Failed++
			return out
		}
	}

	nonce := v.nonce + 1
	if v.nonce == NonceTerminal-1 {
		nonce = 0 // wraps past the reserved terminal nonce (R3.3)
	}
	ts := v.timestamp()
	if v.outage.kind != 0 && ts < v.pathAt {
		// Less than an interval ago the last reconnect found nobody, or
		// what waiting does not fix, or a UDP send was refused: that is
		// the truth for this beat too, and a send would only cost.
		v.count(v.outage)
		return v.outage
	}
	Frame{Status: status, PID: v.pid, Timestamp: ts, Nonce: nonce, Payload: payload}.Encode(&v.frame)

	out := v.send()
	if !out.IsSent() {
		if out = v.notSent(out, ts); !out.IsSent() {
			return out
		}
	}
	v.drops = 0
	if v.outage.kind != 0 {
		v.outage = BeatOutcome{}
	}
	v.stats.Sent++
	v.nonce, v.lastTS = nonce, ts // commit on success only (R3.6)
	if nonce == 0 {
		os.Stderr.Write(wrapWarning)
	}
	return out
}

// notSent handles a send the kernel did not accept, as "Self-healing" in the
// package documentation tells (R3.7, R3.9): a Failed one ends the run of
// counting drops; a drop may reconnect (healAfter, or replacedObserver for
// a full queue) and, where a fresh socket confirms an observer
// (endpoint.confirmsObserver), be sent once more. ts is the beat's
// timestamp. It returns the final outcome and counts it in the stats,
// unless it is Sent: Beat counts and commits that.
func (v *Varta) notSent(out BeatOutcome, ts uint64) BeatOutcome {
	if out.IsFailed() {
		v.drops = 0
		v.stats.Failed++
		return out
	}
	if out.reason == KernelQueueFull && v.replacedObserver(ts) {
		return v.resend()
	}
	resend, instead := v.healAfter(out.reason, ts)
	if instead.kind != 0 {
		out = instead
	}
	if resend {
		return v.resend()
	}
	if out.IsDropped() && out.reason == NoObserver && !v.ep.confirmsObserver() {
		// Over UDP the refusal is the only news of the observer, and
		// every send until it returns would bring the same: the beats
		// of the next interval read it without a send (R3.9).
		v.outage = out
		v.pathAt = ts + reconnectSpacing
	}
	v.count(out)
	return out
}

// resend sends the frame once more, on the fresh socket of a reconnect, and
// counts the outcome unless it is Sent. A drop that says nobody is there
// starts a new run of counting drops.
func (v *Varta) resend() BeatOutcome {
	out := v.send()
	if out.IsSent() {
		return out
	}
	if out.IsDropped() && countsTowardReconnect(out.reason) {
		v.drops = 1
	}
	v.count(out)
	return out
}

// healAfter counts a drop for reason r toward a reconnect, reconnects when
// the drop completes a run of reconnectAfter counting drops, and reports
// whether the frame should be sent again on the fresh socket. A reconnect
// that fails returns what it found instead of r
// (endpoint.reconnectOutcome). Over a Unix socket reconnects are spaced
// (R3.9): within reconnectSpacing of the last look at the path a counting
// drop returns what the last reconnect found, without a new attempt. A
// failed reconnect leaves the run complete, so the next counting drop
// allowed to tries again; one that waiting for the observer does not fix
// (Failed) ends the run, as a Failed beat does.
func (v *Varta) healAfter(r DropReason, ts uint64) (resend bool, instead BeatOutcome) {
	if !countsTowardReconnect(r) || v.reconnectAfter == 0 {
		return false, instead
	}
	if v.drops < v.reconnectAfter {
		v.drops++
	}
	if v.drops < v.reconnectAfter {
		return false, instead
	}
	if v.ep.confirmsObserver() {
		if ts < v.pathAt {
			return false, v.outage
		}
		v.pathAt = ts + reconnectSpacing
	}
	if f := v.reconnect(); f.failed() {
		out, ok := v.ep.reconnectOutcome(f)
		if !ok {
			return false, instead
		}
		if out.IsFailed() {
			v.drops = 0
		}
		v.outage = out
		return false, out
	}
	v.reconnected()
	return v.ep.confirmsObserver(), instead
}

// replacedObserver reports, for a beat dropped because the observer's queue
// is full, whether the agent reconnected to another observer that took the
// path of the stalled one (R3.9): at most once per interval it stats the
// path, and reconnects only when the path names a socket other than the one
// the agent connected to (bound). It never reconnects to the same socket
// (R3.7): a slow observer is not reconnected to. Abstract names have no
// file to stat, so the check is skipped for them. A reconnect that fails
// leaves the agent connected to the stalled observer, and the beat
// Dropped(KernelQueueFull).
func (v *Varta) replacedObserver(ts uint64) bool {
	if v.bound.ino == 0 || ts < v.statAt {
		return false
	}
	v.statAt = ts + reconnectSpacing
	now := v.ep.stat()
	if now.mode != unix.S_IFSOCK || now.sameFile(v.bound) {
		return false
	}
	if f := v.reconnect(); f.failed() {
		return false
	}
	v.reconnected()
	return true
}

// reconnectSpacing is the shortest time between two looks at the
// observer's path during an outage or a full queue, reconnects and stats
// alike, and over UDP between a refused send and the next send (R3.9): short enough that a beat cadence of 100 ms or more tries
// on every beat, and that a restarted observer is reached within 1 s at
// any beat rate; long enough that a beat loop without pauses pays, per
// beat, less than a send.
const reconnectSpacing = uint64(50 * time.Millisecond)

// countsTowardReconnect reports whether a drop for reason r says that
// nobody is at the other end, so that a reconnect may help (R3.7).
func countsTowardReconnect(r DropReason) bool {
	return r == NoObserver || r == PeerGone
}

var wrapWarning = []byte("varta: beat nonce wrapped to 0 after 2^64-2 beats\n")

// sameProcess reports whether the process is still the one the agent was
// set up for: the mark holds the agent's generation, or, without a
// mark, the pid is the agent's.
func (v *Varta) sameProcess() bool {
	if v.mark != nil {
		return v.mark.Load() == v.gen
	}
	return v.getpid() == int(v.pid)
}

// followFork sets the agent up again for the process it now runs in,
// after sameProcess said it was forked, and resets the sequence (R3.2).
// With a mark this happens even when the pid number is the same (R6.8):
// for secure UDP that is a new session. ok is false, with a Failed
// outcome, if the pid cannot be sent or the setup failed; the agent then
// still sees a fork at the next beat and tries again.
func (v *Varta) followFork() (out BeatOutcome, ok bool) {
	var gen uint64
	if v.mark != nil {
		gen = remark(v.mark)
	}
	raw := v.getpid()
	if !validPID(raw) {
		return failed(errInvalid, opBadPID), false
	}
	pid := uint32(raw)
	if f := v.setUp(pid); f.failed() {
		return failed(f.errno, opForkReconnect), false
	}
	v.gen = gen
	v.pid = pid
	v.nonce = 0
	v.epoch = v.now()
	v.lastTS = 0
	v.drops = 0
	v.pathAt = 0 // a timestamp of the old epoch
	v.outage = BeatOutcome{}
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

// count counts a beat that was not sent: Failed, or dropped for its
// reason.
func (v *Varta) count(out BeatOutcome) {
	if out.IsFailed() {
		v.stats.Failed++
		return
	}
	switch out.reason {
	case KernelQueueFull:
		v.stats.DroppedKernelQueueFull++
	case NoObserver:
		v.stats.DroppedNoObserver++
		v.watch.poke()
	case PeerGone:
		v.stats.DroppedPeerGone++
	case StorageFull:
		v.stats.DroppedStorageFull++
	}
}

// Reconnect replaces the agent's socket with a fresh one to the same
// observer, and keeps the old one if any step fails. An observer named by a
// host name is looked up again first (waiting for the resolver for 5
// seconds at most, without holding up beats), and the fresh socket goes to
// the address the name resolves to now, as Go's resolver answers: it reads
// /etc/hosts again only every 5 seconds (see "UDP and hosts" in the package
// documentation). Nothing else is renewed: the nonce sequence continues,
// and over secure UDP the session and the key stay as they are (see
// "Secure UDP: sessions, nonces and keys"). A Reconnect that succeeds
// starts the count of drops toward an automatic reconnect afresh (see
// "Self-healing").
func (v *Varta) Reconnect() error {
	if v != nil && v.watch != nil {
		return v.watch.reconnect(v)
	}
	if !v.lockOpen() {
		return ErrClosed
	}
	defer v.mu.Unlock()
	return v.reconnectAsked()
}

// reconnectAsked is Reconnect's work once the agent is locked and open:
// a fresh socket to the same address, or the error that says why not.
func (v *Varta) reconnectAsked() error {
	if f := v.reconnect(); f.failed() {
		return v.ep.describe(f)
	}
	v.reconnected()
	return nil
}

// reconnected counts a reconnect that succeeded, automatic or asked for,
// and starts afresh what the old socket had learnt: the run of counting
// drops and the remembered outcome of an outage.
func (v *Varta) reconnected() {
	v.stats.Reconnects++
	v.drops = 0
	v.outage = BeatOutcome{}
}

// SetReconnectAfter sets how many consecutive beats dropped because nobody
// is at the other end ([NoObserver], [PeerGone]) make the agent reconnect by
// itself (R3.7); 0 turns self-healing off, and setting it resets the count.
// The default is 1 for a Unix socket, where the beat that reconnects sends
// its frame again, and 0 over UDP, where it would not. Over a Unix socket
// a reconnect also waits until the last one is 50 ms old, whatever n is. See
// "Self-healing" in the package documentation.
func (v *Varta) SetReconnectAfter(n uint32) {
	if v == nil {
		return
	}
	v.mu.Lock()
	v.reconnectAfter = n
	v.drops = 0
	v.outage = BeatOutcome{}
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

// ForkRecoveries returns how many times a beat found the process forked
// and set the transport up again for it.
func (v *Varta) ForkRecoveries() uint64 { return v.Stats().ForkRecoveries }

// lockOpen locks v and reports whether it is open: not nil, not closed.
// When it returns false, v is not locked.
func (v *Varta) lockOpen() bool {
	if v == nil {
		return false
	}
	v.mu.Lock()
	if v.fd < 0 {
		v.mu.Unlock()
		return false
	}
	return true
}

// Close releases the socket and wipes any key material. For an observer
// named by a host name it also stops the goroutine that looks the name up
// again, and returns once it has ended (goroutines of Go's resolver may
// take a few milliseconds more). Beats after Close are Failed; a
// second Close returns ErrClosed.
func (v *Varta) Close() error {
	if !v.lockOpen() {
		return ErrClosed
	}
	err := unix.Close(v.fd)
	v.fd = -1
	v.seal.close()
	v.mu.Unlock()
	v.watch.stop() // unlocked: the goroutine takes the lock to count and to move
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
