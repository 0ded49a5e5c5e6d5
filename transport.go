package varta

// transport gets encoded frames to one observer. The agent's mutex
// serialises every call, so implementations keep no locks of their own.
type transport interface {
	// send emits frame once and classifies the result. It never blocks
	// and never allocates.
	send(frame *[FrameBytes]byte) BeatOutcome
	// sendTerminal emits a terminal frame (SPEC section 7) once; transports that seal
	// frames use the terminal layout of R7.3 and read the pid and timestamp
	// from the frame. It never blocks and never allocates.
	sendTerminal(frame *[FrameBytes]byte) BeatOutcome
	// restart sets up the transport for a process with the given pid: at
	// connect and after a fork. It opens a fresh socket and, for secure UDP,
	// starts a fresh session, and swaps them in only when every step
	// succeeded; on error the previous state stays in use.
	restart(pid uint32) error
	// reconnect replaces the socket with a fresh one to the same observer
	// (R3.7, Reconnect), with the same all-or-nothing swap. A failed socket
	// call returns its bare syscall.Errno, which allocates nothing, so a
	// beat that reconnects stays allocation free.
	reconnect() error
	// confirmsObserver reports whether a successful reconnect shows that an
	// observer is bound at the address, so that resending a dropped frame
	// on the fresh socket can reach it (R3.7). A Unix socket's connect
	// fails when nobody is bound; a UDP connect succeeds whether or not
	// anything listens, and a refusal arrives only later, as ICMP.
	confirmsObserver() bool
	// describe turns an error of reconnect into the error Connect and
	// Reconnect return: it names the observer and says what to do.
	describe(err error) error
	// close releases the socket and wipes key material.
	close() error
}

// setupError is an error of Connect, Reconnect or a constructor's checks:
// its message says what happened and what to do, and errors.Is and
// errors.As see the error it wraps (a sentinel such as ErrInvalidPath, a
// syscall.Errno, a *net.DNSError).
type setupError struct {
	msg  string
	err  error
	also error // a second error it wraps, or nil
}

func (e *setupError) Error() string { return e.msg }

// Unwrap returns the errors e wraps: err, and also when it is set.
func (e *setupError) Unwrap() []error {
	if e.also == nil {
		return []error{e.err}
	}
	return []error{e.err, e.also}
}
