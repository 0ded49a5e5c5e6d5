package varta

// transport gets encoded frames to one observer. The agent's mutex
// serialises every call, so implementations keep no locks of their own.
type transport interface {
	// send emits frame once and classifies the result. It never blocks
	// and never allocates.
	send(frame *[FrameBytes]byte) BeatOutcome
	// sendTerminal emits a terminal frame (SPEC section 7) once; transports that seal
	// frames use the terminal layout of R7.3. It never blocks and never allocates.
	sendTerminal(frame *[FrameBytes]byte, pid uint32, ts uint64) BeatOutcome
	// reconnect sets up a fresh socket (and, for secure UDP, a fresh
	// session) for frames carrying pid and swaps it in only when every step
	// succeeded; on error the previous state stays in use. A failed socket
	// call returns its bare syscall.Errno, which allocates nothing, so a
	// beat that reconnects (fork recovery, R3.7) stays allocation free.
	reconnect(pid uint32) error
	// describe turns an error of reconnect into the error Connect and
	// Reconnect return: it names the observer and says what to do.
	describe(err error) error
	// close releases the socket and wipes key material.
	close() error
}
