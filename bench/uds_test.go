//go:build linux

package bench

import (
	"testing"

	"github.com/varta-go/varta"
	"golang.org/x/sys/unix"
)

// BenchmarkUDS compares a beat over a Unix datagram socket with the system
// calls no beat can avoid: reading the pid and sending 32 bytes on a
// connected non-blocking socket.
func BenchmarkUDS(b *testing.B) {
	b.Run("sent", benchUDSSent)
	b.Run("dropped", benchUDSDropped)
	b.Run("raw-vs-raw", benchUDSRawVsRaw)
}

// benchUDSSent beats to a receiver that is emptied between batches of one
// queue's worth of frames. Target: x-vs-raw <= 1.05. A full queue would
// turn sends into EAGAIN returns, which take another path, so the share of
// operations the kernel accepted is reported for both sides (sent-frac for
// the beats, raw-sent-frac for the baseline): the ratio speaks of the sent
// path because both are 1.
func benchUDSSent(b *testing.B) {
	r := listen(b)
	agent := connect(b, r.path)
	fd := dialRaw(b, r.path)

	var raw tally
	compare(b,
		r.drained(side{name: "raw", run: rawSend(fd, &raw)}),
		r.drained(side{name: "beat", run: beats(agent)}),
		"x-vs-raw")

	st := agent.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	b.ReportMetric(float64(raw.sent)/float64(raw.ops), "raw-sent-frac")
}

// benchUDSDropped beats to a receiver that has gone away: it was bound and
// connected to, then closed. Target: x-vs-raw <= 1.10. The share of
// operations that were dropped is reported for both sides (dropped-frac,
// raw-dropped-frac) to show that the path measured is the dropped one.
func benchUDSDropped(b *testing.B) {
	r := listen(b)
	agent := connect(b, r.path)
	fd := dialRaw(b, r.path)
	r.close()
	// The first send to a closed peer is refused and disconnects the
	// socket; every later one finds no peer (PeerGone). Measure the later
	// ones, and check that both sides are there.
	frame := make([]byte, varta.FrameBytes)
	unix.Send(fd, frame, 0)
	if err := unix.Send(fd, frame, 0); varta.ClassifySendError(err).DropReason() != varta.PeerGone {
		b.Fatalf("raw send to a closed receiver returned %v, want an errno of a gone peer", err)
	}
	agent.Beat(varta.StatusOK, 0)
	if out := agent.Beat(varta.StatusOK, 0); out.DropReason() != varta.PeerGone {
		b.Fatalf("beat to a closed receiver returned %v, want dropped: peer gone", out)
	}
	before := agent.Stats()

	var raw tally
	compare(b,
		side{name: "raw", run: rawSend(fd, &raw)},
		side{name: "beat", run: beats(agent)},
		"x-vs-raw")

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedPeerGone-before.DroppedPeerGone)/float64(beatsSince(before, st)), "dropped-frac")
	b.ReportMetric(float64(raw.ops-raw.sent)/float64(raw.ops), "raw-dropped-frac")
}

// benchUDSRawVsRaw compares the raw send of benchUDSSent with itself, on
// two sockets to the same receiver. It should read 1: how far it strays
// shows the noise the other ratios carry on this machine.
func benchUDSRawVsRaw(b *testing.B) {
	r := listen(b)
	compare(b,
		r.drained(side{name: "raw", run: rawSend(dialRaw(b, r.path), &tally{})}),
		r.drained(side{name: "same", run: rawSend(dialRaw(b, r.path), &tally{})}),
		"x-vs-raw")
}

// connect returns an agent connected to the observer at path, closed when
// the benchmark ends.
func connect(b *testing.B, path string) *varta.Varta {
	b.Helper()
	agent, err := varta.Connect(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { agent.Close() })
	return agent
}

// beats returns an operation that beats n times on agent.
func beats(agent *varta.Varta) func(n int) {
	return func(n int) {
		for i := range n {
			agent.Beat(varta.StatusOK, uint32(i))
		}
	}
}

// beatsSince returns how many beats were counted between two snapshots of
// an agent's stats.
func beatsSince(before, after varta.Stats) uint64 {
	total := func(s varta.Stats) uint64 { return s.Sent + s.Dropped() + s.Failed }
	return total(after) - total(before)
}

// tally counts the baseline's sends and how many the kernel accepted.
type tally struct {
	ops, sent int
}

// rawSend returns the baseline of a beat: n times, read the pid and send a
// 32-byte frame on the connected socket fd, counting the sends in t.
func rawSend(fd int, t *tally) func(n int) {
	var frame [varta.FrameBytes]byte
	varta.Frame{Status: varta.StatusOK, PID: uint32(unix.Getpid())}.Encode(&frame)
	return func(n int) {
		for range n {
			frame[4] = byte(unix.Getpid()) // uses the pid, as a beat does
			if unix.Send(fd, frame[:], 0) == nil {
				t.sent++
			}
		}
		t.ops += n
	}
}
