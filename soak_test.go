package varta

// Proves under sustained load that every beat reported Sent arrives
// exactly once and in order.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSoakEverySentBeatArrivesOnceInOrder sends 1,000,000 beats (20,000
// with -short) over a Unix socket to an observer that drains it on another
// goroutine. Each beat carries its index as payload. Every beat the agent
// reports Sent must reach the observer exactly once and in order, with
// consecutive nonces; every other beat must be Dropped(KernelQueueFull),
// counted in Stats and absent from what the observer saw. CI runs it in
// full with the README's test command, and with -short in its quick pass.
//
// After a drop the sender waits (up to 10ms) until its socket is writable
// again, that is until the observer has made room, as a daemon beating on
// a timer would: most beats are then Sent and drops stay interleaved.
func TestSoakEverySentBeatArrivesOnceInOrder(t *testing.T) {
	beats := 1_000_000
	if testing.Short() {
		beats = 20_000
	}
	r := listen(t)
	v := connectTo(t, r)

	var total atomic.Int64 // frames the observer is to expect; -1 until known
	total.Store(-1)
	var stopped atomic.Bool // set when the observer has returned
	observed := make(chan soakObserver, 1)
	go func() {
		o := soakObserver{fd: r.fd, pid: uint32(os.Getpid()), payloads: make([]uint32, 0, beats)}
		o.err = o.run(&total)
		stopped.Store(true)
		observed <- o
	}()

	fd := v.socketFD()
	writable := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	start := time.Now()
	sentPayloads := make([]uint32, 0, beats)
	var queueFull int
	var bad BeatOutcome
	for i := range beats {
		out := v.Beat(StatusOK, uint32(i))
		switch {
		case out.IsSent():
			sentPayloads = append(sentPayloads, uint32(i))
		case out.DropReason() == KernelQueueFull:
			queueFull++
			unix.Poll(writable, 10)
		default:
			bad = out
		}
		if bad != (BeatOutcome{}) || stopped.Load() { // the observer stops only on error
			break
		}
	}
	total.Store(int64(len(sentPayloads)))
	o := <-observed // the observer gives up by itself if frames stop coming
	elapsed := time.Since(start)

	if bad != (BeatOutcome{}) {
		t.Fatalf("after %d sent and %d dropped a beat returned %v", len(sentPayloads), queueFull, bad)
	}
	if o.err != nil {
		t.Fatalf("observer: %v", o.err)
	}
	if !slices.Equal(o.payloads, sentPayloads) {
		t.Fatalf("observer received %d frames, the agent reported %d sent, and their payloads differ", len(o.payloads), len(sentPayloads))
	}
	st := v.Stats()
	want := Stats{Sent: uint64(len(sentPayloads)), DroppedKernelQueueFull: uint64(queueFull)}
	if st != want {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
	if st.Sent+st.Dropped() != uint64(beats) {
		t.Fatalf("Stats count %d sent and %d dropped, want %d beats in all", st.Sent, st.Dropped(), beats)
	}
	t.Logf("%d beats in %v: %d sent, %d dropped (kernel queue full)", beats, elapsed.Round(time.Millisecond), st.Sent, st.DroppedKernelQueueFull)
}

// soakObserver drains a receiver socket as a real observer would, checking
// each frame as it arrives and keeping only its payload.
type soakObserver struct {
	fd       int
	pid      uint32
	payloads []uint32
	err      error
}

// run reads frames until it has as many as total says, once total is set.
// It fails on the first frame that is malformed, from another pid, out of
// nonce order or going back in time, and fails with "hung" if no frame
// arrives for 10 seconds while frames are missing.
func (o *soakObserver) run(total *atomic.Int64) error {
	var buf [256]byte
	var nonce, lastTS uint64
	idle := 0
	fds := []unix.PollFd{{Fd: int32(o.fd), Events: unix.POLLIN}}
	for {
		if n := total.Load(); n >= 0 && int64(len(o.payloads)) >= n {
			if extra, err := unix.Read(o.fd, buf[:]); err == nil {
				return fmt.Errorf("a frame of %d bytes arrived after the %d the agent sent", extra, n)
			}
			return nil
		}
		n, err := unix.Read(o.fd, buf[:])
		if errors.Is(err, unix.EAGAIN) {
			ready, err := unix.Poll(fds, 100)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return err
			}
			if ready > 0 {
				idle = 0
			} else if idle++; idle == 100 {
				return fmt.Errorf("hung: no frame for 10s after %d frames", len(o.payloads))
			}
			continue
		}
		if err != nil {
			return err
		}
		f, err := observe(buf[:n])
		switch {
		case err != nil:
			return fmt.Errorf("frame %d: %v", len(o.payloads)+1, err)
		case f.pid != o.pid || f.status != byte(StatusOK):
			return fmt.Errorf("frame %d: pid %d status %d, want %d and ok", len(o.payloads)+1, f.pid, f.status, o.pid)
		case f.nonce != nonce+1:
			return fmt.Errorf("frame %d: nonce %d after %d: a gap or repeat", len(o.payloads)+1, f.nonce, nonce)
		case f.timestamp < lastTS:
			return fmt.Errorf("frame %d: timestamp %d after %d went backwards", len(o.payloads)+1, f.timestamp, lastTS)
		}
		nonce, lastTS = f.nonce, f.timestamp
		o.payloads = append(o.payloads, f.payload)
	}
}
