package varta

import "sync"

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
	if v == nil {
		return closedRefused
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tr == nil {
		return closedRefused
	}
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
	return v.tr.sendTerminal(&v.frame)
}
