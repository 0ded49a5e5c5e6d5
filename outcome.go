//go:build unix

package varta

import (
	"strconv"
	"syscall"
)

// DropReason says why the kernel refused a beat that may succeed later.
type DropReason uint8

// The reasons a beat is Dropped (SPEC section 4).
const (
	// KernelQueueFull: the observer's receive queue or our send buffer is
	// full (EAGAIN, EWOULDBLOCK, ENOBUFS). The observer is alive but behind.
	KernelQueueFull DropReason = iota + 1
	// NoObserver: nothing is bound at the address (ECONNREFUSED, ENOENT).
	// While a Unix-socket observer is down, every beat reads this: the
	// beat that reconnects reports what the reconnect found, whatever its
	// old socket said, and the beats between two reconnects repeat it
	// (see "Self-healing" in the package documentation).
	NoObserver
	// PeerGone: the observer the socket was connected to went away
	// (ECONNRESET, ENOTCONN, EPIPE), and the beat could not tell more: it
	// made no reconnect (self-healing is off, the run of drops is not yet
	// complete, or the last reconnect is less than 50 ms old). Over a Unix
	// socket the agent reconnects by itself when it sees NoObserver or
	// PeerGone (see "Self-healing").
	PeerGone
	// StorageFull: the kernel has no room for the datagram (ENOSPC).
	StorageFull
)

// String returns the reason in words, such as "kernel queue full".
func (r DropReason) String() string {
	if r != 0 && int(r) < len(dropReasonText) {
		return dropReasonText[r]
	}
	return "drop reason(" + strconv.Itoa(int(r)) + ")"
}

var dropReasonText = [...]string{
	KernelQueueFull: "kernel queue full",
	NoObserver:      "no observer",
	PeerGone:        "peer gone",
	StorageFull:     "storage full",
}

type outcomeKind uint8

const (
	outcomeSent outcomeKind = iota + 1
	outcomeDropped
	outcomeFailed
)

// BeatOutcome is the result of one Beat: Sent, Dropped (the observer may be
// reached later; nothing to fix) or Failed (a condition that will not go away
// by itself: bad input, closed agent, permission). It is a small value;
// returning it allocates nothing.
type BeatOutcome struct {
	kind   outcomeKind
	reason DropReason
	op     failOp
	call   sysCall // for opReconnect: the system call of the reconnect that failed
	ft     uint32  // for opReconnect: the type of the file at the observer's path then
	errno  syscall.Errno
	ep     *endpoint // for opReconnect: the observer, so that Err words it as Connect does
}

// IsSent reports whether the kernel accepted the frame.
func (o BeatOutcome) IsSent() bool { return o.kind == outcomeSent }

// IsDropped reports whether the frame was not delivered for a reason that
// may clear by itself; DropReason says which.
func (o BeatOutcome) IsDropped() bool { return o.kind == outcomeDropped }

// IsFailed reports whether the beat could not be sent for a reason that
// needs attention; Err says which.
func (o BeatOutcome) IsFailed() bool { return o.kind == outcomeFailed }

// DropReason returns why the beat was dropped, or 0 if it was not.
func (o BeatOutcome) DropReason() DropReason { return o.reason }

// Err returns a *BeatError for a Failed beat and nil otherwise. It allocates
// only when it returns an error.
func (o BeatOutcome) Err() error {
	if o.kind != outcomeFailed {
		return nil
	}
	return &BeatError{Errno: o.errno, op: o.op, call: o.call, ft: o.ft, ep: o.ep}
}

// String describes the outcome: "sent", "dropped: no observer",
// "failed: ...".
func (o BeatOutcome) String() string {
	switch o.kind {
	case outcomeSent:
		return "sent"
	case outcomeDropped:
		return "dropped: " + o.reason.String()
	case outcomeFailed:
		return "failed: " + o.Err().Error()
	}
	return "no beat"
}

var (
	sent          = BeatOutcome{kind: outcomeSent}
	stallRefused  = BeatOutcome{kind: outcomeFailed, errno: errInvalid, op: opStall}
	statusRefused = BeatOutcome{kind: outcomeFailed, errno: errInvalid, op: opBadStatus}
	closedRefused = BeatOutcome{kind: outcomeFailed, errno: errBadFD, op: opClosed}
	// terminalClosed is SendTerminal's closedRefused: its error speaks of
	// a terminal frame.
	terminalClosed = BeatOutcome{kind: outcomeFailed, errno: errBadFD, op: opTerminalClosed}
)

func dropped(r DropReason) BeatOutcome { return BeatOutcome{kind: outcomeDropped, reason: r} }

func failed(errno syscall.Errno, op failOp) BeatOutcome {
	return BeatOutcome{kind: outcomeFailed, errno: errno, op: op}
}
