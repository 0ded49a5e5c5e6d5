package varta

// Proves that Run beats what its function returns, in order and an
// interval apart, until its context ends or a status cannot be sent,
// refuses bad arguments and closed agents, and never bursts after a pause.
// The tests of timing run in a synctest bubble: its clock is fake and
// moves only when every goroutine of the bubble waits, so a loaded machine
// cannot reorder what they check. Beats still make real system calls on
// real sockets, which a bubble allows; a non-blocking send never waits.

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// runGuarded runs Run in a goroutine and fails the test if it has not
// returned within 10s (in a synctest bubble, 10s of the bubble's clock).
func runGuarded(t *testing.T, v *Varta, ctx context.Context, interval time.Duration, beat func() (Status, uint32)) error {
	t.Helper()
	ran := make(chan error, 1)
	go func() { ran <- v.Run(ctx, interval, beat) }()
	select {
	case err := <-ran:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("hung: Run did not return within 10s")
		return nil
	}
}

// expectBeatsAt reads one frame per offset from r, each the next frame of
// the test process's stream, and fails the test unless each frame's
// timestamp lies that far after the first frame's, exactly: on a bubble's
// clock, beats come when Run's timer says. Then it expects no more frames,
// and returns those it read.
func expectBeatsAt(t *testing.T, r *receiver, offsets ...time.Duration) []observed {
	t.Helper()
	s := newStream(t)
	frames := make([]observed, len(offsets))
	for i, at := range offsets {
		frames[i] = s.accept(r.recv())
		if got := time.Duration(frames[i].timestamp - frames[0].timestamp); got != at {
			t.Errorf("beat %d at %v after the first, want %v", i+1, got, at)
		}
	}
	r.expectNothing()
	return frames
}

// TestRunSendsWhatTheFunctionReturnsUntilCanceled cancels from inside the
// fifth call: the first four results go out as beats, in order and an
// interval apart, and the fifth, under way when the context ended, does
// not.
func TestRunSendsWhatTheFunctionReturnsUntilCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Millisecond
		r := listen(t)
		v := connectTo(t, r)
		ctx, cancel := context.WithCancel(t.Context())
		statuses := []Status{StatusOK, StatusDegraded, StatusCritical}
		calls := 0
		err := runGuarded(t, v, ctx, interval, func() (Status, uint32) {
			calls++
			if calls == 5 {
				cancel()
			}
			return statuses[calls%3], uint32(1000 + calls)
		})
		if !errors.Is(err, context.Canceled) || calls != 5 {
			t.Fatalf("Run = %v after %d calls, want context.Canceled after 5", err, calls)
		}
		frames := expectBeatsAt(t, r, 0, interval, 2*interval, 3*interval)
		for i, o := range frames {
			if Status(o.status) != statuses[(i+1)%3] || o.payload != uint32(1000+i+1) {
				t.Errorf("beat %d carries %v and %d, want %v and %d", i+1, Status(o.status), o.payload, statuses[(i+1)%3], 1000+i+1)
			}
		}
	})
}

// TestRunReturnsTheDeadline: a context that ends three and a half
// intervals after Run starts lets four beats out, then Run returns its
// error.
func TestRunReturnsTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Millisecond
		r := listen(t)
		v := connectTo(t, r)
		ctx, cancel := context.WithTimeout(t.Context(), 3*interval+interval/2)
		defer cancel()
		err := runGuarded(t, v, ctx, interval, func() (Status, uint32) { return StatusOK, 0 })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Run = %v, want context.DeadlineExceeded", err)
		}
		expectBeatsAt(t, r, 0, interval, 2*interval, 3*interval)
	})
}

func TestRunRefusesBadArgumentsAndClosedAgents(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	called := false
	beat := func() (Status, uint32) { called = true; return StatusOK, 0 }
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		interval time.Duration
		beat     func() (Status, uint32)
		want     string
	}{
		{"zero interval", t.Context(), 0, beat, "varta: Run: interval 0s is not positive: pass the time between beats"},
		{"negative interval", t.Context(), -time.Second, beat, "varta: Run: interval -1s is not positive: pass the time between beats"},
		{"nil function", t.Context(), time.Second, nil, "varta: Run: the beat function is nil: pass one that returns each beat's status and payload"},
		{"nil context", nil, time.Second, beat, "varta: Run: the context is nil: pass context.Background() or a context that ends when the daemon stops"},
		{"context done", canceled, time.Second, beat, context.Canceled.Error()},
	} {
		err := runGuarded(t, v, tc.ctx, tc.interval, tc.beat)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: Run = %v, want %q", tc.name, err, tc.want)
		}
	}
	if called {
		t.Error("Run called the beat function although it refused to run")
	}
	r.expectNothing()

	var nilAgent *Varta
	if err := runGuarded(t, nilAgent, t.Context(), time.Millisecond, beat); !errors.Is(err, ErrClosed) {
		t.Errorf("Run on a nil agent = %v, want ErrClosed", err)
	}
	calls := 0
	err := runGuarded(t, v, t.Context(), time.Millisecond, func() (Status, uint32) {
		if calls++; calls == 3 {
			v.Close()
		}
		return StatusOK, 0
	})
	if !errors.Is(err, ErrClosed) || calls != 3 {
		t.Errorf("Run on an agent closed at call 3 = %v after %d calls, want ErrClosed after 3", err, calls)
	}
}

// TestRunStopsOnAStatusBeatRefuses: a beat function that returns
// StatusStall or an unknown status would never be sent; Run says so
// instead of looping silently.
func TestRunStopsOnAStatusBeatRefuses(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	for _, status := range []Status{StatusStall, 7} {
		calls := 0
		err := runGuarded(t, v, t.Context(), time.Millisecond, func() (Status, uint32) {
			if calls++; calls == 3 {
				return status, 0
			}
			return StatusOK, 0
		})
		if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "beat refused") || calls != 3 {
			t.Errorf("Run with a beat returning %v at call 3 = %v after %d calls, want Beat's refusal after 3", status, err, calls)
		}
	}
	if n := r.drain(); n != 4 {
		t.Errorf("observer got %d frames, want the 4 ok beats", n)
	}
}

// TestRunDoesNotBurstAfterAPause blocks the third call for 18 intervals,
// as a stopped process or a slow health check would. The beat that paused
// goes out when the call returns, and each later one a full interval after
// the one before: no catch-up burst. Run is canceled half an interval
// after the fourth beat that follows the pause.
func TestRunDoesNotBurstAfterAPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 5 * time.Millisecond
		r := listen(t)
		v := connectTo(t, r)
		ctx, cancel := context.WithCancel(t.Context())
		release := make(chan struct{})
		calls := 0
		ran := make(chan error, 1)
		go func() {
			ran <- v.Run(ctx, interval, func() (Status, uint32) {
				if calls++; calls == 3 {
					<-release
				}
				return StatusOK, uint32(calls)
			})
		}()
		time.Sleep(20 * interval) // two beats, then the third call waits
		close(release)
		time.Sleep(4*interval + interval/2)
		cancel()
		select {
		case err := <-ran:
			if !errors.Is(err, context.Canceled) || calls != 7 {
				t.Fatalf("Run = %v after %d calls, want context.Canceled after 7", err, calls)
			}
		case <-time.After(time.Minute):
			t.Fatal("hung: Run did not return within a minute of the bubble's clock")
		}
		frames := expectBeatsAt(t, r, 0, interval, 20*interval, 21*interval, 22*interval, 23*interval, 24*interval)
		for i, o := range frames {
			if o.payload != uint32(i+1) {
				t.Errorf("beat %d carries payload %d, want %d", i+1, o.payload, i+1)
			}
		}
	})
}
