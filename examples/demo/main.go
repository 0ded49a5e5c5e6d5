// Command demo runs a varta agent against an observer in the same process,
// over a Unix datagram socket in a temporary directory, and prints what
// happens at each step: beats with each status, an observer that stops and
// comes back, a refused status, a closed agent, and the agent's counters.
//
//	go run ./examples/demo
//
// It needs no other software and removes its temporary directory on exit.
// Every line is the same from run to run except pids and timestamps.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/varta-go/varta"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run plays the demo, writing its report to w. It returns an error when
// the library does not behave as the report says it does.
func run(w io.Writer) error {
	dir, err := os.MkdirTemp("", "varta-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	d := &demo{out: &report{w: w}, path: filepath.Join(dir, "observer.sock")}
	if err := d.play(); err != nil {
		return err
	}
	return d.out.err
}

// demo holds the two ends of the demo and what the observer has seen.
type demo struct {
	out   *report
	path  string
	obs   *observer
	agent *varta.Varta

	tally     tally  // outcomes of the Beat calls made
	lastNonce uint64 // nonce of the last frame the observer received
}

// tally counts outcomes as the demo sees them, to check Stats against.
type tally struct {
	sent, dropped, failed, refused uint64
}

func (d *demo) play() error {
	steps := []struct {
		title string
		run   func() error
	}{
		{"Start an observer and connect an agent to it", d.connect},
		{"Beat with each status; the observer decodes every 32-byte frame", d.beatEachStatus},
		{"Stop the observer: beats are Dropped and Beat returns at once", d.observerGone},
		{"Restart the observer on the same path", d.observerBack},
		{"StatusStall is reserved for observers: Beat refuses it", d.stallRefused},
		{"Close the agent: later beats are Failed", d.closeAgent},
		{"Stats() counted every beat", d.stats},
	}
	d.out.printf("An agent sends heartbeats to an observer over a Unix datagram socket.\n")
	defer func() {
		if d.obs != nil {
			d.obs.stop()
		}
		d.agent.Close() // nil-safe; the demo closes it in a step already
	}()
	for i, s := range steps {
		d.out.printf("\n%d. %s\n", i+1, s.title)
		if err := s.run(); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
	}
	return d.summary()
}

func (d *demo) connect() error {
	obs, err := listen(d.path)
	if err != nil {
		return err
	}
	d.obs = obs
	d.out.row("observer", "listening on <temp dir>/"+filepath.Base(d.path))

	d.agent, err = varta.Connect(d.path)
	if err != nil {
		return err
	}
	d.out.row("varta.Connect(path)", "connected; finds a restarted observer by itself (the default)")
	return nil
}

func (d *demo) beatEachStatus() error {
	for _, b := range []struct {
		status  varta.Status
		payload uint32
	}{
		{varta.StatusOK, 12},
		{varta.StatusDegraded, 480},
		{varta.StatusCritical, 9000},
	} {
		if err := d.beatReceived(b.status, b.payload); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) observerGone() error {
	if err := d.obs.stop(); err != nil {
		return err
	}
	d.obs = nil
	d.out.row("observer", "stopped, socket file removed")
	for payload := uint32(1); payload <= 3; payload++ {
		out := d.beat(varta.StatusOK, payload)
		if !out.IsDropped() {
			return fmt.Errorf("beat with no observer: got %v, want dropped", out)
		}
	}
	d.out.row("", "nothing to fix in the daemon, and no nonce used up:")
	d.out.row("", fmt.Sprintf("the next frame the observer gets carries nonce %d", d.lastNonce+1))
	return nil
}

func (d *demo) observerBack() error {
	obs, err := listen(d.path)
	if err != nil {
		return err
	}
	d.obs = obs
	d.out.row("observer", "listening again on <temp dir>/"+filepath.Base(d.path))
	// During an outage the agent tries to reconnect at most every 50 ms;
	// at a daemon's cadence of 100 ms or more the first beat after the
	// observer's return gets through.
	time.Sleep(100 * time.Millisecond)
	d.out.row("", "100 ms later, as at a daemon's cadence:")
	before := d.agent.Stats().Reconnects
	if err := d.beatReceived(varta.StatusOK, 4); err != nil {
		return err
	}
	after := d.agent.Stats().Reconnects
	if after != before+1 {
		return fmt.Errorf("Stats().Reconnects went from %d to %d, want one more", before, after)
	}
	d.out.row("agent", fmt.Sprintf("reconnected by itself: Stats().Reconnects %d -> %d", before, after))
	return nil
}

func (d *demo) stallRefused() error {
	out := d.beat(varta.StatusStall, 0)
	if !out.IsFailed() {
		return fmt.Errorf("Beat(StatusStall): got %v, want failed", out)
	}
	return d.expectNothing()
}

func (d *demo) closeAgent() error {
	if err := d.agent.Close(); err != nil {
		return err
	}
	d.out.row("agent", "Close()")
	out := d.beat(varta.StatusOK, 5)
	if !errors.Is(out.Err(), varta.ErrClosed) {
		return fmt.Errorf("beat after Close: got %v, want an error matching ErrClosed", out)
	}
	d.out.row("", "errors.Is(out.Err(), varta.ErrClosed) is true")
	return d.expectNothing()
}

func (d *demo) stats() error {
	s := d.agent.Stats()
	d.out.row("Sent", fmt.Sprint(s.Sent))
	d.out.row("Dropped()", fmt.Sprintf("%d  (no observer %d, peer gone %d, kernel queue full %d, storage full %d)",
		s.Dropped(), s.DroppedNoObserver, s.DroppedPeerGone, s.DroppedKernelQueueFull, s.DroppedStorageFull))
	d.out.row("Failed", fmt.Sprintf("%d  (the closed agent; the refused stall beat is not counted)", s.Failed))
	d.out.row("Reconnects", fmt.Sprintf("%d  (clock regressions %d, fork recoveries %d)",
		s.Reconnects, s.ClockRegressions, s.ForkRecoveries))
	// Every beat except the refused stall one counts exactly once.
	t := d.tally
	if s.Sent != t.sent || s.Dropped() != t.dropped || s.Failed != t.failed-t.refused {
		return fmt.Errorf("Stats() = %+v, want %d sent, %d dropped, %d failed", s, t.sent, t.dropped, t.failed-t.refused)
	}
	return nil
}

func (d *demo) summary() error {
	t := d.tally
	d.out.printf("\nSummary\n")
	d.out.printf("   %d Beat calls: %d sent, %d dropped while the observer was down, %d failed (%d refused).\n",
		t.sent+t.dropped+t.failed, t.sent, t.dropped, t.failed, t.refused)
	d.out.printf("   The observer received nonces 1 to %d with no gap, though it was down for %d beats.\n", d.lastNonce, t.dropped)
	return nil
}

// beat calls Beat, prints the call and its outcome, and tallies it.
func (d *demo) beat(status varta.Status, payload uint32) varta.BeatOutcome {
	out := d.agent.Beat(status, payload)
	d.out.row(fmt.Sprintf("Beat(%s, %d)", statusNames[status], payload), out.String())
	switch {
	case out.IsSent():
		d.tally.sent++
	case out.IsDropped():
		d.tally.dropped++
	case out.IsFailed():
		d.tally.failed++
		if status == varta.StatusStall {
			d.tally.refused++
		}
	}
	return out
}

// beatReceived beats and checks that the observer received that very beat
// as the next frame in sequence.
func (d *demo) beatReceived(status varta.Status, payload uint32) error {
	out := d.beat(status, payload)
	if !out.IsSent() {
		return fmt.Errorf("got %v, want sent", out)
	}
	f, err := d.obs.receive()
	if err != nil {
		return err
	}
	d.out.row("  observer got", fmt.Sprintf("status=%-8s nonce=%d  payload=%-4d  pid=%d  timestamp=%v",
		f.Status, f.Nonce, f.Payload, f.PID, time.Duration(f.Timestamp)))
	want := varta.Frame{Status: status, PID: uint32(os.Getpid()), Timestamp: f.Timestamp, Nonce: d.lastNonce + 1, Payload: payload}
	if f != want {
		return fmt.Errorf("observer got %+v, want %+v", f, want)
	}
	d.lastNonce = f.Nonce
	return nil
}

// expectNothing prints and checks that no frame reached the observer.
func (d *demo) expectNothing() error {
	got, err := d.obs.pending()
	if err != nil {
		return err
	}
	if got {
		return errors.New("a frame reached the observer, want none")
	}
	d.out.row("  observer got", "nothing")
	return nil
}

var statusNames = map[varta.Status]string{
	varta.StatusOK:       "StatusOK",
	varta.StatusDegraded: "StatusDegraded",
	varta.StatusCritical: "StatusCritical",
	varta.StatusStall:    "StatusStall",
}

// report writes the demo's lines and keeps the first write error.
type report struct {
	w   io.Writer
	err error
}

func (r *report) printf(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

// row prints one aligned line of a step.
func (r *report) row(label, text string) {
	r.printf("   %-27s %s\n", label, text)
}

// observer is the receiving end, as an observer daemon would run it: a
// Unix datagram socket bound to a path, whose frames are decoded with
// varta.DecodeFrame.
type observer struct {
	path string
	conn *net.UnixConn
	buf  [64]byte // larger than a frame, so an oversized datagram is seen as such
}

// listen binds an observer to path.
func listen(path string) (*observer, error) {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("observer: %w", err)
	}
	return &observer{path: path, conn: conn}, nil
}

// receive waits for one datagram and decodes it. The 10-second deadline
// only keeps a broken run from hanging.
func (o *observer) receive() (varta.Frame, error) {
	if err := o.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return varta.Frame{}, err
	}
	n, err := o.conn.Read(o.buf[:])
	if err != nil {
		return varta.Frame{}, fmt.Errorf("observer: no frame: %w", err)
	}
	return varta.DecodeFrame(o.buf[:n])
}

// pending reports whether a datagram is queued. A Unix datagram is queued
// before the send returns, so a short wait is enough to see it.
func (o *observer) pending() (bool, error) {
	if err := o.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		return false, err
	}
	_, err := o.conn.Read(o.buf[:])
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("observer: %w", err)
	}
	return true, nil
}

// stop closes the socket and removes its file, as an observer does when it
// shuts down.
func (o *observer) stop() error {
	err := o.conn.Close()
	if rmErr := os.Remove(o.path); err == nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = rmErr
	}
	return err
}
