package sequence

import (
	"errors"
	"testing"

	"github.com/varta-go/varta"
)

// TestCheckFollowsEachPidApart feeds frames straight to the rules: the
// pids' sequences interleave, a terminal frame stands outside its pid's
// sequence, and after nonce 2^64-2 comes 0 (SPEC R3.3).
func TestCheckFollowsEachPidApart(t *testing.T) {
	var l Log
	l.pids = map[uint32]*stream{7: {beats: true, nonce: varta.NonceTerminal - 1, ts: 50}}
	for i, tc := range []struct {
		f    varta.Frame
		want error
	}{
		{varta.Frame{PID: 5, Nonce: 1, Timestamp: 100}, nil},
		{varta.Frame{PID: 6, Nonce: 1, Timestamp: 3}, nil},
		{varta.Frame{PID: 5, Nonce: 2, Timestamp: 100}, nil},
		{varta.Frame{PID: 5, Nonce: varta.NonceTerminal, Status: varta.StatusCritical, Timestamp: 100}, nil},
		{varta.Frame{PID: 5, Nonce: 3, Timestamp: 101}, nil},
		{varta.Frame{PID: 7, Nonce: 0, Timestamp: 50}, nil},
		{varta.Frame{PID: 7, Nonce: 1, Timestamp: 60}, nil},
		{varta.Frame{PID: 6, Nonce: 3, Timestamp: 4}, ErrNonceSequence},
		{varta.Frame{PID: 6, Nonce: 4, Timestamp: 5}, nil}, // the bad frame became the reference
		{varta.Frame{PID: 8, Nonce: 1}, ErrSenderPID},      // sent by pid 9 below
		{varta.Frame{PID: 5, Nonce: 1, Timestamp: 7}, nil}, // a new agent of pid 5
		{varta.Frame{PID: 5, Nonce: 2, Timestamp: 6}, ErrTimestampBackwards},
		{varta.Frame{PID: 7, Nonce: 2, Timestamp: 70}, nil}, // after 0 and 1 (wrapped), 2
		{varta.Frame{PID: 7, Nonce: 1, Timestamp: 1}, nil},  // then a new agent
	} {
		sender := uint32(0)
		if tc.f.PID == 8 {
			sender = 9
		}
		if err := l.Check(tc.f, sender); !errors.Is(err, tc.want) {
			t.Errorf("frame %d (%+v): got %v, want %v", i, tc.f, err, tc.want)
		}
	}
}

// TestCheckMidStreamTakesAnyFirstNonce joins agents that are already
// beating: each pid's first beat may carry any nonce, and the rules apply
// from there on.
func TestCheckMidStreamTakesAnyFirstNonce(t *testing.T) {
	for _, tc := range []struct {
		midStream bool
		want      []error
	}{
		{false, []error{ErrNonceSequence, nil, ErrNonceSequence, nil, nil}},
		{true, []error{nil, nil, ErrNonceSequence, nil, nil}},
	} {
		l := Log{MidStream: tc.midStream}
		for i, nonce := range []uint64{41, 42, 44, 1, 2} {
			if err := l.Check(varta.Frame{PID: 5, Nonce: nonce, Timestamp: 10}, 0); !errors.Is(err, tc.want[i]) {
				t.Errorf("MidStream %v, nonce %d: got %v, want %v", tc.midStream, nonce, err, tc.want[i])
			}
		}
	}
}

func TestCheckSaysWhichPidAndValuesBrokeARule(t *testing.T) {
	var l Log
	l.Check(varta.Frame{PID: 5, Nonce: 1, Timestamp: 10}, 0)
	err := l.Check(varta.Frame{PID: 5, Nonce: 3, Timestamp: 20}, 0)
	if want := "nonce out of sequence: pid 5: nonce 3 after 1, want 2"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
