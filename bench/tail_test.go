//go:build linux

package bench

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"golang.org/x/sys/unix"
)

// BenchmarkTail times every single beat over a Unix datagram socket, and
// every single bare send of 32 bytes (the floor of BenchmarkUDS), and
// reports percentiles of each: a latency-sensitive program cares about
// the slowest beats, not the mean. Targets: beat p99.9 <= 1.2x send
// p99.9 in every setting.
//
//   - quiet: one goroutine beats.
//   - 8-goroutines: eight goroutines share one agent and beat at once;
//     their baseline is eight goroutines sharing one socket, and a third
//     side, locked-send, sends under a shared sync.Mutex: the floor of
//     any agent that must serialise its frames to number them (SPEC R2.1).
//   - gc: one goroutine beats while another allocates without pause, so
//     the garbage collector runs throughout (gc-cycles counts its cycles).
func BenchmarkTail(b *testing.B) {
	b.Run("quiet", func(b *testing.B) { benchTail(b, 1, false) })
	b.Run("8-goroutines", func(b *testing.B) { benchTail(b, 8, false) })
	b.Run("gc", func(b *testing.B) { benchTail(b, 1, true) })
}

// tailSide is one operation whose every run is timed.
type tailSide struct {
	name string
	op   func() bool // runs once; reports whether the kernel accepted the frame
	// samples[w] and sent[w] belong to worker w.
	samples [][]time.Duration
	sent    []int
}

// benchTail runs b.N operations of each side in rounds. In a round each
// side in turn (the order rotates, as in compare) has the workers, released together,
// run one queue's worth of operations between them, each timed alone;
// then the receiver is emptied, untimed, so that every operation takes
// the path of a frame the kernel accepts (sent-frac and
// <side>-sent-frac say whether they all did).
func benchTail(b *testing.B, workers int, churn bool) {
	r := listen(b)
	agent := connect(b, r.path)
	fd := dialRaw(b, r.path)
	var frame [varta.FrameBytes]byte
	varta.Frame{Status: varta.StatusOK, PID: uint32(unix.Getpid())}.Encode(&frame)
	var mu sync.Mutex
	sides := []*tailSide{
		{name: "beat", op: func() bool { return agent.Beat(varta.StatusOK, 0).IsSent() }},
		{name: "send", op: func() bool { return unix.Send(fd, frame[:], 0) == nil }},
	}
	if workers > 1 {
		sides = append(sides, &tailSide{name: "locked-send", op: func() bool {
			mu.Lock()
			defer mu.Unlock()
			return unix.Send(fd, frame[:], 0) == nil
		}})
	}

	each := max(1, r.qlen/workers) // operations per worker per round
	rounds := max(1, b.N/(each*workers))
	for _, s := range sides {
		s.samples = make([][]time.Duration, workers)
		for w := range s.samples {
			s.samples[w] = make([]time.Duration, 0, rounds*each)
		}
		s.sent = make([]int, workers)
	}
	start := make([]chan *tailSide, workers)
	done := make(chan struct{}, workers)
	base := time.Now()
	for w := range start {
		start[w] = make(chan *tailSide)
		go func() {
			for s := range start[w] {
				for range each {
					t0 := time.Since(base)
					ok := s.op()
					s.samples[w] = append(s.samples[w], time.Since(base)-t0)
					if ok {
						s.sent[w]++
					}
				}
				done <- struct{}{}
			}
		}()
	}
	stop := make(chan struct{})
	var allocator sync.WaitGroup
	if churn {
		allocator.Go(func() { allocate(stop) })
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	b.ResetTimer()
	for i := range rounds {
		for k := range sides {
			j := (i + k) % len(sides) // rotate, and reverse every other cycle
			if (i/len(sides))%2 == 1 {
				j = len(sides) - 1 - j
			}
			s := sides[j]
			for w := range start {
				start[w] <- s
			}
			for range start {
				<-done
			}
			r.empty()
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	close(stop)
	allocator.Wait()
	for w := range start {
		close(start[w])
	}

	beat := sides[0].percentiles()
	for _, s := range sides {
		p := s.percentiles()
		for i, q := range tailQuantiles {
			b.ReportMetric(float64(p[i]), s.name+"-"+q.name+"-ns")
			if s != sides[0] {
				b.ReportMetric(float64(beat[i])/float64(p[i]), q.name+"-x-vs-"+s.name)
			}
		}
		name := s.name + "-sent-frac"
		if s == sides[0] {
			name = "sent-frac"
		}
		b.ReportMetric(float64(sum(s.sent))/float64(len(s.all())), name)
	}
	b.ReportMetric(float64(after.NumGC-before.NumGC), "gc-cycles")
	b.ReportMetric(float64(agent.ForkCheck()), "mark-mode")
}

// tailQuantiles are the percentiles benchTail reports; max is the slowest
// operation of all.
var tailQuantiles = []struct {
	name string
	q    float64
}{{"p50", 0.50}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1}}

// all returns every sample of s, from all workers.
func (s *tailSide) all() []time.Duration {
	return slices.Concat(s.samples...)
}

// percentiles returns the samples of s at tailQuantiles, in nanoseconds.
func (s *tailSide) percentiles() []int64 {
	all := s.all()
	slices.Sort(all)
	p := make([]int64, len(tailQuantiles))
	for i, q := range tailQuantiles {
		k := min(len(all)-1, int(q.q*float64(len(all))))
		p[i] = all[k].Nanoseconds()
	}
	return p
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// churnSink keeps the allocator's latest objects reachable, so that the
// collector has live memory to mark.
var churnSink atomic.Pointer[[]byte]

// allocate allocates without pause until stop is closed: 4 MiB stay live
// in a ring of 16 KiB buffers, so the collector always has work, and each
// new buffer is published so it cannot be optimised away.
func allocate(stop chan struct{}) {
	ring := make([][]byte, 256)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		buf := make([]byte, 16<<10)
		buf[0] = byte(i)
		ring[i%len(ring)] = buf
		churnSink.Store(&buf)
		if i%1024 == 0 {
			runtime.Gosched()
		}
	}
}
