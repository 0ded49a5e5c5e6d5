//go:build unix

package varta

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// The package's error types and the sentinels its errors match, in every
// build. The tags add their own beside their functions: the key errors in
// secureudp_key.go, the opener errors in secureudp_open.go.

// ErrClosed is matched (errors.Is) by the error of any operation on a closed
// or nil agent.
var ErrClosed = errors.New("varta: agent is closed")

// ErrInitProcess is returned by the Connect functions when the calling
// process is pid 1: every observer rejects frames carrying pid 0 or 1.
var ErrInitProcess = errors.New("varta: running as pid 1 (container init): observers reject frames from pid 1; run the daemon under an init such as tini or docker run --init")

// ErrInvalidPath is matched (errors.Is) by the error Connect returns for a
// path that is empty, contains NUL, or whose absolute form is too long for
// a Unix socket address, and by the error ParseTarget and ConnectTo return
// for a unix target with such a path.
var ErrInvalidPath = errors.New("varta: invalid socket path")

// ErrInvalidTarget is matched (errors.Is) by the error ParseTarget,
// ConnectTo and ConnectFromEnv return for a target string that breaks the
// grammar in the package documentation, and by ConnectFromEnv's error when
// ObserverEnv is unset or empty. It is returned before any system call.
var ErrInvalidTarget = errors.New("varta: invalid observer target")

// ErrInvalidAddress is matched (errors.Is) by the error ParseTarget,
// ConnectTo, ConnectUDP and the secure UDP constructors return for an
// observer host that breaks the host grammar ("UDP and hosts" in the package
// documentation), is the unspecified address, or is an IPv6 address of
// one link or interface (link-local, or link- or interface-local
// multicast) without a zone, and by ConnectUDP's error for a port outside
// 1..65535. It is returned before any name lookup.
var ErrInvalidAddress = errors.New("varta: invalid observer address")

// ErrTransportNotBuilt is matched (errors.Is) by the error ConnectTo and
// ConnectFromEnv return for a valid target whose transport this program
// was built without: udp:// needs -tags udp (or secureudp), secureudp://
// needs -tags secureudp.
var ErrTransportNotBuilt = errors.New("varta: transport not built into this program")

// BeatError is the error of a Failed beat. Errno is the system error
// (EBADF for a closed agent, EINVAL for invalid input); errors.Is matches
// it, and ErrClosed for a closed agent.
type BeatError struct {
	Errno syscall.Errno
	op    failOp
	call  sysCall   // for opReconnect, as in BeatOutcome
	ft    uint32    // for opReconnect
	ep    *endpoint // for opReconnect
}

// Error says what failed and, where it can, what to do about it.
func (e *BeatError) Error() string {
	switch e.op {
	case opStall:
		return "varta: beat refused: StatusStall is observer-only; send ok, degraded or critical"
	case opClosed:
		return "varta: beat on a closed agent: Connect a new one"
	case opTerminalClosed:
		return "varta: terminal frame not sent: the agent is closed (or nil); send it before Close"
	case opForkReconnect:
		if e.Errno == 0 {
			return "varta: process changed pid (fork) and setting up the transport for the new process failed; the next beat tries again"
		}
		return "varta: process changed pid (fork) and reconnecting failed: " + e.Errno.Error() + "; the next beat tries again"
	case opBadStatus:
		return "varta: beat refused: unknown status; send ok, degraded or critical"
	case opNoErrno:
		return "varta: send failed with an error that carries no errno"
	case opTerminalSpent:
		return "varta: terminal frame not sent: the secure session has used all 2^32 terminal nonces; Close the agent and connect a new one, which starts a new session"
	case opBadPID:
		return "varta: frame not sent: the process's pid is 0, 1 or wider than 32 bits, which no frame can carry"
	case opTerminalForked:
		return "varta: terminal frame not sent: the process was forked since the agent's last beat, and a terminal frame never sets up a transport; Beat first, then send it"
	case opReconnect:
		// The words of Connect for the same failure (R3.9).
		return e.ep.describeAs(dialErr{call: e.call, errno: e.Errno}, e.ft).Error()
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
func (e *BeatError) Is(target error) bool {
	return target == ErrClosed && (e.op == opClosed || e.op == opTerminalClosed)
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
	opBadPID
	opTerminalForked
	opTerminalStaleKey
	opReconnect
	opTerminalClosed
)

// Errnos the agent reports itself (invalid input, a closed agent), and
// EPERM, whose send error says what it means.
const (
	errInvalid      = unix.EINVAL
	errBadFD        = unix.EBADF
	errNotPermitted = unix.EPERM
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
