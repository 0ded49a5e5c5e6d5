//go:build unix

package varta

import (
	"context"
	"errors"
	"time"
)

// Run beats until ctx is done, then returns ctx.Err(). It sends the status
// and payload that beat returns at once, and then each time interval has
// passed since the previous beat was sent, from the calling goroutine (see
// "Run" in the package documentation). It returns [ErrClosed] when the agent
// is closed or nil, Beat's error when beat returns a status Beat refuses,
// and an error at once, sending nothing, if ctx is nil, interval is not
// positive or beat is nil.
func (v *Varta) Run(ctx context.Context, interval time.Duration, beat func() (Status, uint32)) error {
	switch {
	case ctx == nil:
		return errors.New("varta: Run: the context is nil: pass context.Background() or a context that ends when the daemon stops")
	case interval <= 0:
		return errors.New("varta: Run: interval " + interval.String() + " is not positive: pass the time between beats")
	case beat == nil:
		return errors.New("varta: Run: the beat function is nil: pass one that returns each beat's status and payload")
	}
	if err := v.runBeat(ctx, beat); err != nil {
		return err
	}
	// A timer reset after each beat, rather than a ticker, so that time
	// spent in beat or stopped never queues a tick.
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		if err := v.runBeat(ctx, beat); err != nil {
			return err
		}
		timer.Reset(interval)
	}
}

// runBeat calls beat and sends its result, unless ctx is done by then.
func (v *Varta) runBeat(ctx context.Context, beat func() (Status, uint32)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	status, payload := beat()
	if err := ctx.Err(); err != nil {
		return err
	}
	switch out := v.Beat(status, payload); out {
	case closedRefused:
		return ErrClosed
	case stallRefused, statusRefused:
		return out.Err() // a bug in beat: it would never be sent
	}
	return nil
}
