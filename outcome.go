//go:build unix

package varta

import (
	"errors"
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
	NoObserver
	// PeerGone: the observer the socket was connected to went away
	// (ECONNRESET, ENOTCONN, EPIPE). Over a Unix socket the agent
	// reconnects by itself when it sees NoObserver or PeerGone (see
	// SetReconnectAfter).
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
	errno  syscall.Errno
	op     failOp
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
	return &BeatError{Errno: o.errno, op: o.op}
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

// failOp records what a Failed beat was doing, for BeatError's message.
type failOp uint8

const (
	opSend failOp = iota
	opStall
	opClosed
	opForkReconnect
	opBadStatus
	opNoErrno
	opTerminalSpent
	opNewSession
	opBadPID
	opTerminalForked
	opTerminalStaleKey
	opReconnect
)

// ErrClosed is matched (errors.Is) by the error of any operation on a closed
// or nil agent.
var ErrClosed = errors.New("varta: agent is closed")

// BeatError is the error of a Failed beat. Errno is the system error
// (EBADF for a closed agent, EINVAL for invalid input); errors.Is matches
// it, and ErrClosed for a closed agent.
type BeatError struct {
	Errno syscall.Errno
	op    failOp
}

// Error says what failed and, where it can, what to do about it.
func (e *BeatError) Error() string {
	switch e.op {
	case opStall:
		return "varta: beat refused: StatusStall is observer-only; send ok, degraded or critical"
	case opClosed:
		return "varta: beat on a closed agent: Connect a new one"
	case opForkReconnect:
		if e.Errno == 0 {
			return "varta: process changed pid (fork) and setting up the transport for the new process failed; the next beat tries again"
		}
		return "varta: process changed pid (fork) and reconnecting failed: " + e.Errno.Error() + "; the next beat tries again"
	case opBadStatus:
		return "varta: beat refused: unknown status; send ok, degraded or critical"
	case opNoErrno:
		return "varta: send failed with an error that carries no errno"
	case opNewSession:
		return "varta: beat not sent: the secure session used every IV prefix and a new one could not be started; the next beat tries again"
	case opTerminalSpent:
		return "varta: terminal frame not sent: the secure session has used all 2^32 terminal nonces; Close the agent and connect a new one, which starts a new session"
	case opBadPID:
		return "varta: frame not sent: the process's pid is 0, 1 or wider than 32 bits, which no frame can carry"
	case opTerminalForked:
		return "varta: terminal frame not sent: the process was forked since the agent's last beat, and a terminal frame never sets up a transport; Beat first, then send it"
	case opReconnect:
		return "varta: beat not sent: the observer went away and reconnecting failed: " + e.Errno.Error() +
			"; waiting for the observer does not fix this (a file descriptor limit, a permission, a file that is not a datagram socket): the next beat that finds the observer gone tries again"
	case opTerminalStaleKey:
		return "varta: terminal frame not sent: the pid changed (fork) since the agent derived its key, and no observer could open it; a beat recovers from the fork first"
	}
	if e.Errno == errNotPermitted {
		return "varta: send refused: " + e.Errno.Error() + " (EPERM), not a file permission problem: " +
			"the observer's socket takes datagrams only from the peer it is connected to, or a firewall or security policy refused the datagram"
	}
	return "varta: send failed: " + e.Errno.Error()
}

// Unwrap returns the errno, so errors.Is(err, syscall.EPERM) works, or nil
// when the failure carries no errno.
func (e *BeatError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// Is reports whether target is ErrClosed and the agent was closed.
func (e *BeatError) Is(target error) bool { return target == ErrClosed && e.op == opClosed }

var (
	sent          = BeatOutcome{kind: outcomeSent}
	stallRefused  = BeatOutcome{kind: outcomeFailed, errno: errInvalid, op: opStall}
	statusRefused = BeatOutcome{kind: outcomeFailed, errno: errInvalid, op: opBadStatus}
	closedRefused = BeatOutcome{kind: outcomeFailed, errno: errBadFD, op: opClosed}
)

func dropped(r DropReason) BeatOutcome { return BeatOutcome{kind: outcomeDropped, reason: r} }

func failed(errno syscall.Errno, op failOp) BeatOutcome {
	return BeatOutcome{kind: outcomeFailed, errno: errno, op: op}
}

// Errnos the agent reports itself (invalid input, a closed agent), and
// EPERM, whose send error says what it means.
const (
	errInvalid      = syscall.EINVAL
	errBadFD        = syscall.EBADF
	errNotPermitted = syscall.EPERM
)

// textError is an error with a text of its own, built by concatenation and
// strconv rather than fmt (which would add a fifth of a megabyte to every
// program that links the package), that errors.Is and errors.As see
// through to the errors it wraps: a sentinel such as ErrInvalidPath, a
// syscall.Errno, a *net.DNSError.
type textError struct {
	msg  string
	err  error
	also error // a second error it wraps, or nil
}

func (e *textError) Error() string { return e.msg }

// Unwrap returns the errors e wraps: err, and also when it is set.
func (e *textError) Unwrap() []error {
	if e.also == nil {
		return []error{e.err}
	}
	return []error{e.err, e.also}
}
