//go:build unix

package varta

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

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
