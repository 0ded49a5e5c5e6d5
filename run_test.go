package varta

// Proves that Run beats what its function returns, in order, until its
// context ends or a status cannot be sent, refuses bad arguments and
// closed agents, and never bursts after a pause.

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runGuarded runs Run in a goroutine and fails the test if it has not
// returned within 10s.
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

// TestRunSendsWhatTheFunctionReturnsUntilCanceled cancels from inside the
// fifth call: the first four results go out as beats, in order, and the
// fifth, under way when the context ended, does not.
func TestRunSendsWhatTheFunctionReturnsUntilCanceled(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	ctx, cancel := context.WithCancel(t.Context())
	statuses := []Status{StatusOK, StatusDegraded, StatusCritical}
	calls := 0
	err := runGuarded(t, v, ctx, time.Millisecond, func() (Status, uint32) {
		calls++
		if calls == 5 {
			cancel()
		}
		return statuses[calls%3], uint32(1000 + calls)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	s := newStream(t)
	for i := 1; i <= 4; i++ {
		o := s.accept(r.recv())
		if Status(o.status) != statuses[i%3] || o.payload != uint32(1000+i) {
			t.Fatalf("beat %d carries %v and %d, want %v and %d", i, Status(o.status), o.payload, statuses[i%3], 1000+i)
		}
	}
	r.expectNothing()
}

func TestRunReturnsTheDeadline(t *testing.T) {
	v := connectTo(t, listen(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := runGuarded(t, v, ctx, time.Millisecond, func() (Status, uint32) { return StatusOK, 0 })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want context.DeadlineExceeded", err)
	}
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

// TestRunDoesNotBurstAfterAPause blocks the third call for 20 intervals,
// as a stopped process or a slow health check would. Each beat after the
// pause must wait a full interval after the one before, so no more beats
// can follow the pause than intervals elapse; a loop that caught up would
// send about 20 at once.
func TestRunDoesNotBurstAfterAPause(t *testing.T) {
	const interval = 5 * time.Millisecond
	r := listen(t)
	v := connectTo(t, r)
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	var resumed time.Time
	calls := 0
	ran := make(chan error, 1)
	go func() {
		ran <- v.Run(ctx, interval, func() (Status, uint32) {
			if calls++; calls == 3 {
				<-release
				resumed = time.Now()
			}
			r.drain()
			return StatusOK, 0
		})
	}()
	time.Sleep(20 * interval) // the pause; 2 beats went out before it
	close(release)
	time.Sleep(4 * interval) // let Run go on after the pause
	cancel()
	select {
	case err := <-ran:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hung: Run did not return within 10s")
	}
	elapsed := time.Since(resumed)

	st := v.Stats()
	after := int(st.Sent+st.Dropped()) - 3 // the beats after the one that paused
	if fit := int(elapsed/interval) + 1; after > fit {
		t.Fatalf("%d beats in the %d intervals after the pause: a catch-up burst", after, fit-1)
	}
	t.Logf("%d beats in the %v after a pause of %v", after, elapsed.Round(time.Millisecond), 20*interval)
}
