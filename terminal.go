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

// SendTerminal tells the observer that this process is about to exit, so
// that it learns at once instead of waiting for the beats to stall. Call it
// on the program's own shutdown path, once it has decided to exit; Guard
// sends it on a panic and HandleSignals on a terminating signal.
//
// The terminal frame (SPEC section 7) has status Critical, nonce
// NonceTerminal, payload 0 and the agent's pid. Its timestamp comes from
// the agent's beat clock, so it is never earlier than the agent's last
// beat; where needed it is raised to one more than the previous terminal
// frame sent by any agent in the process, so terminal frames from one
// process carry strictly increasing timestamps. The frame is outside the
// beat sequence: it moves neither the nonce nor the last beat timestamp,
// and Stats does not count it.
//
// Like Beat, SendTerminal never blocks, never panics and never allocates,
// and it is safe to call concurrently with beats and other terminal
// frames. It never dials or resolves a name: it uses the socket prepared
// at connect or at the last fork a beat followed. So it checks for a fork
// as a beat does (ForkCheck), and in a forked child that has not beaten
// yet it sends nothing: the transport still belongs to the parent (over
// secure UDP with a master key, its key is the parent's pid's), and the
// observer has never heard of the child. It does not close the agent;
// beats sent after it tell the observer the process lives on.
//
// The outcome is Sent, Dropped (the observer cannot take the frame now;
// it is not retried) or Failed: the agent is closed or nil, the process
// was forked since the last beat, or the system refused the send.
func (v *Varta) SendTerminal() BeatOutcome {
	if !v.lockOpen() {
		return closedRefused
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
// once and the crash itself is unchanged. Defer it directly, at the top of
// main and of every goroutine whose panic ends the process:
//
//	defer agent.Guard()
//
// Only a direct defer sees the panic: recover has no effect in a function
// that Guard is called from. When nothing panics (or the goroutine ends
// by runtime.Goexit), Guard does nothing. Any panic that passes through it
// sends the frame, even one that a caller further up recovers.
//
// The process still ends with exit status 2, printing the panic value and
// the stack of the panicking goroutine. Since Go 1.25 the runtime prints a
// value re-panicked this way once, marked: the first line reads
// "panic: <value> [recovered, repanicked]", and the stack starts with
// Guard and the panic call it makes, above the frames of the function that
// panicked first. Calls deferred before Guard (agent.Close, say) still run
// afterwards. On a nil or closed agent Guard sends nothing but still
// re-panics.
func (v *Varta) Guard() {
	if r := recover(); r != nil {
		v.SendTerminal()
		panic(r)
	}
}

// terminatingSignals are the signals HandleSignals watches (R7.2).
var terminatingSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT, unix.SIGHUP}

// HandleSignals sends a terminal frame when the process receives SIGTERM,
// SIGINT, SIGQUIT or SIGHUP, for programs that do not handle these signals
// themselves. It is opt-in and starts one goroutine, which waits for the
// first of these signals and then
//
//  1. sends the terminal frame (SendTerminal);
//  2. stops the delivery of the signals to itself (signal.Stop on its own
//     channel, never signal.Reset);
//  3. sends the same signal to the process again.
//
// If nothing else in the program asked for that signal, the second
// delivery gets Go's default handling, as if HandleSignals had never been
// called: SIGTERM, SIGINT and SIGHUP kill the process by that signal, and
// SIGQUIT prints the stacks of all goroutines and exits with status 2.
//
// HandleSignals never overrides the program's own handling. Channels the
// program registered with signal.Notify (or signal.NotifyContext) keep
// receiving these signals, and while one is registered for a signal the
// program is not killed by it: the runtime delivers the re-sent signal to
// that channel instead. Such a channel therefore receives the signal
// twice, once as sent and once re-sent after the terminal frame, and the
// observer has been told the process is exiting even if it goes on (a
// SIGHUP reload, say). Programs that handle these signals should not call
// HandleSignals but SendTerminal on their way out. Signals the process
// ignores when HandleSignals is called (started under nohup, or after
// signal.Ignore) stay ignored and are not watched; signal.Ignore and
// signal.Reset called later end the watch of the signals they name.
//
// stop uninstalls: it stops the delivery of the signals to HandleSignals
// and waits for its goroutine to end, leaving other registrations as they
// are, so each signal again gets the handling it would have had without
// HandleSignals. Once a signal has been handled the goroutine has ended by
// itself. Calling stop more than once is harmless.
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
