//go:build unix

package varta

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Terminal frames from every agent in the process are ordered by one lock:
// a timestamp is claimed and its frame sent in one step, so frames leave
// the process in the order of their timestamps (R7.1). Beat clocks count
// nanoseconds in a time.Duration, below 2^63, and each terminal frame adds
// at most one, so the reserved timestamp 2^64-1 is out of reach.
var (
	terminalMu     sync.Mutex
	lastTerminalTS uint64 // timestamp of the last terminal frame, guarded by terminalMu
)

// SendTerminal sends a terminal frame, which tells the observer at once
// that this process is about to exit, instead of letting it wait for the
// beats to stall. Call it on the program's own shutdown path, once the
// program has decided to exit. Like Beat it never blocks, panics or
// allocates. It returns Sent, Dropped (not retried) or Failed: the agent is
// closed or nil, the process was forked since the last beat, or the system
// refused the send. See "Terminal frames and signals" in the package
// documentation.
func (v *Varta) SendTerminal() BeatOutcome {
	if !v.lockOpen() {
		return terminalClosed
	}
	defer v.mu.Unlock()
	if !v.sameProcess() {
		return failed(0, opTerminalForked)
	}
	pid := v.pid
	// The beat clock, never before the last beat; unlike Beat's, a
	// regression here is not counted: terminal frames stay out of Stats.
	ts := max(uint64(max(v.sinceEpoch(), 0)), v.lastTS)

	terminalMu.Lock()
	defer terminalMu.Unlock()
	ts = max(ts, lastTerminalTS+1)
	lastTerminalTS = ts
	Frame{Status: StatusCritical, PID: pid, Timestamp: ts, Nonce: NonceTerminal}.Encode(&v.frame)
	wire, refused := v.seal.terminal(&v.frame)
	if refused.IsFailed() {
		return refused
	}
	return v.sendWire(wire)
}

// Guard sends a terminal frame when the goroutine is panicking and then
// panics again with the same value, so the observer learns of the crash at
// once and the crash itself is unchanged. Defer it directly (only a direct
// defer sees the panic), at the top of main and of every goroutine whose
// panic ends the process:
//
//	defer agent.Guard()
//
// See "Terminal frames and signals" in the package documentation for which
// panics Guard sees and what the crash prints.
func (v *Varta) Guard() {
	if r := recover(); r != nil {
		v.SendTerminal()
		panic(r)
	}
}

// terminatingSignals are the signals HandleSignals watches (R7.2).
var terminatingSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT, unix.SIGHUP}

// HandleSignals sends a terminal frame when the process receives SIGTERM,
// SIGINT, SIGQUIT or SIGHUP, and then sends itself the same signal again,
// which, unless the program asked for it, ends the process as it would have
// ended without HandleSignals. It is opt-in, for programs that do not handle
// these signals themselves, and starts one goroutine; stop uninstalls it and
// waits for that goroutine. See "Terminal frames and signals" in the
// package documentation.
func (v *Varta) HandleSignals() (stop func()) {
	var watch []os.Signal
	for _, s := range terminatingSignals {
		if !signal.Ignored(s) {
			watch = append(watch, s)
		}
	}
	if len(watch) == 0 { // signal.Notify with no signals would watch them all
		return func() {}
	}
	c := make(chan os.Signal, 1)
	quit := make(chan struct{})
	done := make(chan struct{})
	signal.Notify(c, watch...)
	go func() {
		defer close(done)
		select {
		case s := <-c:
			v.SendTerminal()
			signal.Stop(c)
			unix.Kill(unix.Getpid(), s.(syscall.Signal))
		case <-quit:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(c)
			close(quit)
			<-done
		})
	}
}
