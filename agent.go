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

// Varta is a connected agent: it sends heartbeats to one observer.
// It is safe for concurrent use by multiple goroutines; a mutex held for the
// duration of one non-blocking send (and of a reconnect, when a beat needs
// one) serialises beats, so nonces stay consecutive and (for secure UDP)
// AEAD nonces are never reused.
// A nil or closed *Varta does not panic: Beat returns a Failed outcome and
// the other methods return ErrClosed or zero values.
type Varta struct {
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

	frame [FrameBytes]byte // encoding buffer, owned so a beat allocates nothing
	stats Stats

	ep   endpoint // the observer: how to open a socket to it, how errors name it
	seal *sealing // secure UDP's key, session and sealed frame; nil for plain frames

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
	dialHook  func() (int, dialErr)
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
	ForkRecoveries         uint64 // times a fork was detected and followed (R3.2)
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
	v := &Varta{fd: -1, ep: ep, seal: seal}
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
// became of it. It never blocks and never panics, and it allocates nothing
// except on the rare paths listed at the end.
//
// Sent: the kernel accepted the frame. Dropped: the observer could not take
// it now (queue full, not running, gone); the next beat reuses the same
// nonce, so the observer sees no gap. Failed: the status is StatusStall or
// unknown (nothing is sent and no counter moves), the agent is closed, or
// the system refused the send for a reason that will not clear by itself.
//
// Each beat checks whether the process was forked (or restored) since the
// agent was set up: on Linux by reading a wipe-on-fork mark, elsewhere by
// reading the pid (ForkCheck says which). After a fork the agent first
// sets up its transport again for the new process and restarts its nonces
// at 1 and its timestamps at 0; if that fails the beat is Failed.
//
// When the observer is gone (Dropped with NoObserver or PeerGone), the
// beat may reconnect by itself: see SetReconnectAfter. Over a Unix socket
// that is on by default, so an agent finds a restarted observer on the
// first beat after the restart, with no call by the program.
//
// A few rare beats do more than send. A beat that reconnects (fork
// recovery, or SetReconnectAfter) makes a few non-blocking socket calls,
// and tries to reconnect at most once whether or not that succeeds; a
// reconnect allocates nothing on Linux, while elsewhere a UDP reconnect
// allocates the address getsockname returns. Over secure UDP a reconnect
// keeps the session; the beat after a fork, and the one in 2^64 that finds
// every IV prefix of its session spent, start a new session, which reads
// crypto/rand and allocates (and, with a master key after a fork, derives
// the new pid's key and builds its cipher). And the one beat in 2^64-1
// whose nonce wraps writes a fixed warning line to os.Stderr (R3.3).
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
	Frame{Status: status, PID: v.pid, Timestamp: ts, Nonce: nonce, Payload: payload}.Encode(&v.frame)

	out := v.send()
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

// notSent handles a send the kernel did not accept (R3.7). A Failed one
// ends any run of counting drops. A drop that says nobody is at the other
// end (NoObserver, PeerGone) extends the run, and the drop that completes a
// run of reconnectAfter reconnects; a failed reconnect leaves the run
// complete, so the next counting drop tries again. Where a fresh socket
// confirms an observer (Unix sockets) the frame is then sent once more and
// the retry's outcome returned; over UDP the drop stands, since a send on a
// fresh socket succeeds whether or not anyone listens. A full queue or
// storage (KernelQueueFull, StorageFull) means the observer is there but
// behind: such drops neither count nor reconnect, and leave the run as it
// was. notSent returns the final outcome and counts it in the stats,
// unless it is Sent: Beat counts and commits that.
func (v *Varta) notSent(out BeatOutcome) BeatOutcome {
	if out.IsFailed() {
		v.drops = 0
		v.stats.Failed++
		return out
	}
	resend, failure := v.healAfter(out.reason)
	if failure.IsFailed() {
		v.stats.Failed++
		return failure
	}
	if !resend {
		v.countDrop(out.reason)
		return out
	}
	if out = v.send(); out.IsSent() {
		return out
	}
	if out.IsFailed() {
		v.stats.Failed++
		return out
	}
	if countsTowardReconnect(out.reason) {
		v.drops = 1
	}
	v.countDrop(out.reason)
	return out
}

// healAfter counts a drop for reason r toward a reconnect and reconnects
// when the drop completes a run of reconnectAfter counting drops. It
// reports whether the frame should be sent again on the fresh socket. A
// reconnect that fails because nobody is there (ENOENT, ECONNREFUSED)
// leaves the drop as it is, and the next counting drop tries again; one
// that fails for a reason the observer's return does not fix (out of file
// descriptors, a permission, a file that is not a datagram socket) turns
// the beat into a Failed outcome, returned as failure, so that a daemon
// is not told "nothing to fix" while healing cannot work.
func (v *Varta) healAfter(r DropReason) (resend bool, failure BeatOutcome) {
	if !countsTowardReconnect(r) || v.reconnectAfter == 0 {
		return false, failure
	}
	if v.drops < v.reconnectAfter {
		v.drops++
	}
	if v.drops < v.reconnectAfter {
		return false, failure
	}
	if f := v.reconnect(); f.failed() {
		if f.errno != 0 && dropReasonOf(f.errno) == 0 {
			v.drops = 0
			return false, failed(f.errno, opReconnect)
		}
		return false, failure
	}
	v.stats.Reconnects++
	v.drops = 0
	return v.ep.confirmsObserver(), failure
}

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

// Reconnect replaces the agent's socket with a fresh one to the same
// observer. The old socket is kept if any step fails. Nothing else is
// renewed: the nonce sequence continues, and over secure UDP the session
// (its salt, IV prefix and counter) and the key stay as they are, so a
// reconnect reads no entropy and derives no key (R6.2). A new session
// starts at connect, after a fork, and when a session has used every IV
// prefix; to start one deliberately (after restoring a snapshot of the
// process, say), Close the agent and connect a new one (SECURITY.md).
func (v *Varta) Reconnect() error {
	if !v.lockOpen() {
		return ErrClosed
	}
	defer v.mu.Unlock()
	if f := v.reconnect(); f.failed() {
		return v.ep.describe(f)
	}
	v.stats.Reconnects++
	v.drops = 0
	return nil
}

// SetReconnectAfter sets how many consecutive beats dropped because nobody
// is at the other end (NoObserver, PeerGone) make the agent reconnect by
// itself (R3.7); 0 turns self-healing off. Setting it resets the count.
//
// The default is 1 for a Unix socket: the first beat that finds the
// observer gone reconnects and, once a restarted observer is bound at the
// path, sends the same frame again, returning that retry's outcome. While
// no observer is bound, each such beat costs one failed socket and connect
// and stays Dropped.
//
// The default is 0 over UDP, plain or secure: a connected UDP socket
// reaches an observer restarted on its port without a reconnect. When set,
// a counting drop replaces the socket but the beat is not sent again and
// stays Dropped(NoObserver): a fresh UDP socket accepts a send whether or
// not anyone listens (the refusal arrives later, as ICMP), so a resend
// would report Sent for a frame nobody received.
//
// Drops for a full queue or full storage (KernelQueueFull, StorageFull)
// never count: an observer that is alive but behind is not reconnected to.
// Sent and Failed beats reset the count; beats refused for their status
// leave it alone.
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

// Close releases the socket and wipes any key material. Beats after Close
// are Failed; a second Close returns ErrClosed.
func (v *Varta) Close() error {
	if !v.lockOpen() {
		return ErrClosed
	}
	defer v.mu.Unlock()
	err := unix.Close(v.fd)
	v.fd = -1
	v.seal.close()
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
