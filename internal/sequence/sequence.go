// Package sequence holds the rules an observer applies to the frames of
// each pid beyond decoding them: the rules vartatest reports as test
// failures and vartadump counts in its summary. One Log per observer
// follows every pid it hears from; Check tells, frame by frame, which rule
// a frame breaks.
//
// The rules, in the order Check applies them:
//
//   - the sender: when the transport tells which process sent a frame (a
//     Unix socket's credentials on Linux), the frame's pid is that
//     process's (ErrSenderPID);
//   - the nonce: the beats of a pid carry consecutive nonces, wrapping from
//     2^64-2 to 0, and the first beat of a pid carries 1 (ErrNonceSequence).
//     A beat with nonce 1 starts a new sequence whatever came before: an
//     agent that a process closes and connects again, or a process restored
//     from a snapshot, starts again at 1 with a new epoch;
//   - the timestamp: within a sequence the beats' timestamps never go
//     backwards, and a terminal frame is no earlier than the sequence's
//     last beat and later than its previous terminal frame
//     (ErrTimestampBackwards).
//
// Terminal frames (nonce varta.NonceTerminal) stand outside the nonce
// sequence. A new rule takes a sentinel error here, the state it needs in
// stream, and a step in Check.
package sequence

import (
	"errors"
	"fmt"

	"github.com/varta-go/varta"
)

// The rules a frame can break. Check wraps one of these; the errors carry
// no package name, so that each observer prefixes its own.
var (
	// ErrSenderPID: the frame's pid is not the pid of the process that sent it.
	ErrSenderPID = errors.New("frame pid is not the sender's pid")
	// ErrNonceSequence: a beat's nonce is not the one after the previous
	// beat of the same pid, nor 1, which starts a new sequence.
	ErrNonceSequence = errors.New("nonce out of sequence")
	// ErrTimestampBackwards: a frame's timestamp is earlier than an earlier
	// frame's of the same pid and sequence.
	ErrTimestampBackwards = errors.New("timestamp went backwards")
)

// Log follows the frames of every pid an observer hears from. The zero
// value is ready for an observer that listened before any agent beat. A
// Log is not safe for concurrent use.
type Log struct {
	// MidStream says that the observer may have started while agents were
	// already beating, so a pid's first beat may carry any nonce.
	MidStream bool

	pids map[uint32]*stream
}

// stream is what a Log remembers of one pid.
type stream struct {
	beats      bool   // a beat has been seen in this sequence
	nonce      uint64 // the last beat's nonce
	ts         uint64 // the last beat's timestamp
	terminals  bool   // a terminal frame has been seen in this sequence
	terminalTS uint64 // the last terminal frame's timestamp
}

// Check applies the rules to f, sent by the process sender (0 when the
// transport does not tell), and returns the first rule f breaks, or nil.
// The error wraps one of the sentinels above and says which pid and values
// broke it. A frame that breaks a rule becomes its pid's reference all the
// same, so one bad frame breaks a rule once; a frame whose pid is not its
// sender's is not recorded, since it says nothing true about that pid.
func (l *Log) Check(f varta.Frame, sender uint32) error {
	if sender != 0 && f.PID != sender {
		return fmt.Errorf("%w: frame says pid %d, sent by pid %d", ErrSenderPID, f.PID, sender)
	}
	s := l.pids[f.PID]
	if s == nil {
		if l.pids == nil {
			l.pids = make(map[uint32]*stream)
		}
		s = new(stream)
		l.pids[f.PID] = s
	}
	if f.Nonce == varta.NonceTerminal {
		return s.terminal(f)
	}
	return s.beat(f, l.MidStream)
}

// terminal checks and records a terminal frame.
func (s *stream) terminal(f varta.Frame) error {
	var err error
	switch {
	case s.beats && f.Timestamp < s.ts:
		err = fmt.Errorf("%w: pid %d: terminal frame at %d, before the last beat at %d", ErrTimestampBackwards, f.PID, f.Timestamp, s.ts)
	case s.terminals && f.Timestamp <= s.terminalTS:
		err = fmt.Errorf("%w: pid %d: terminal frame at %d, not after the previous terminal frame at %d", ErrTimestampBackwards, f.PID, f.Timestamp, s.terminalTS)
	}
	s.terminals, s.terminalTS = true, f.Timestamp
	return err
}

// beat checks and records a beat. midStream excuses the nonce of a pid's
// first beat.
func (s *stream) beat(f varta.Frame, midStream bool) error {
	want := uint64(1)
	if s.beats {
		want = s.nonce + 1
		if want == varta.NonceTerminal { // SPEC R3.3: after 2^64-2 comes 0
			want = 0
		}
	}
	if f.Nonce == 1 && want != 1 {
		// A new agent of this pid: a new sequence, with a new epoch.
		*s = stream{}
		want = 1
	}
	var err error
	switch {
	case f.Nonce != want && s.beats:
		err = fmt.Errorf("%w: pid %d: nonce %d after %d, want %d", ErrNonceSequence, f.PID, f.Nonce, s.nonce, want)
	case f.Nonce != want && !midStream:
		err = fmt.Errorf("%w: pid %d: first beat has nonce %d, want 1", ErrNonceSequence, f.PID, f.Nonce)
	case s.beats && f.Timestamp < s.ts:
		err = fmt.Errorf("%w: pid %d: beat at %d after a beat at %d", ErrTimestampBackwards, f.PID, f.Timestamp, s.ts)
	}
	s.beats, s.nonce, s.ts = true, f.Nonce, f.Timestamp
	return err
}
