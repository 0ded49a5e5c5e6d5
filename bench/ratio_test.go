package bench

import (
	"math"
	"runtime"
	"slices"
	"testing"
	"time"
)

// side is one of the operations a comparison times.
type side struct {
	// name prefixes the side's metrics: "send" reports send-ns/op, and a
	// candidate's ratio to it as x-vs-send.
	name string
	// run performs the operation n times. The loop lives inside it so that
	// no indirect call per operation is measured.
	run func(n int)
	// batch, if not 0, is the most operations run may perform before
	// settle must run.
	batch int
	// settle, if set, runs untimed after every batch, e.g. to empty the
	// queue of the receiver the operation sends to. It must not allocate:
	// allocations are counted over whole chunks.
	settle func()
	// prepare, if set, runs untimed before every chunk, e.g. to set up
	// the load the side runs under.
	prepare func()
	// clock, if set, reads the time that is measured, in place of the
	// wall clock: threadCPU, for one.
	clock func() time.Duration
}

const (
	// minChunk is the fewest candidate operations timed in one round, so
	// that reading the clock stays a negligible part of a chunk.
	minChunk = 64
	// maxRounds bounds the number of rounds; long runs get longer chunks.
	maxRounds = 1000
	// calibrationTime is how long each side runs at least before the
	// rounds, to warm it up and estimate its cost per operation.
	calibrationTime = 200 * time.Microsecond
)

// measured is what a side cost over some operations.
type measured struct {
	ops    int
	time   time.Duration
	allocs uint64
	bytes  uint64
}

func (m *measured) add(o measured) {
	m.ops += o.ops
	m.time += o.time
	m.allocs += o.allocs
	m.bytes += o.bytes
}

// nsPerOp returns the time per operation in nanoseconds.
func (m measured) nsPerOp() float64 {
	return float64(m.time.Nanoseconds()) / float64(m.ops)
}

// compare measures candidate against each baseline on a noisy machine and
// reports, for each, the median over interleaved rounds of the per-round
// ratio (candidate time per op) / (baseline time per op), as the metric
// x-vs-<baseline name>.
//
// Each round times one chunk of every side, in an order that rotates from
// round to round and runs backwards every other cycle, so that drift in
// the machine's speed hits all sides alike. Each baseline chunk is sized
// to take about as long as the candidate chunk, whatever their cost per
// operation.
//
// b.N counts candidate operations. The benchmark's ns/op, B/op and
// allocs/op are the candidate's, measured over the rounds (time spent in
// settle left out); each baseline's appear as <name>-ns/op and
// <name>-allocs/op.
func compare(b *testing.B, candidate side, baselines ...side) {
	b.Helper()
	b.ReportAllocs()
	sides := append([]side{candidate}, baselines...)
	cost := calibrate(candidate)
	scale := make([]float64, len(sides))
	for i, s := range sides {
		scale[i] = cost / calibrate(s)
	}

	rounds := min(max(b.N/minChunk, 1), maxRounds)
	ratios := make([][]float64, len(sides))
	total := make([]measured, len(sides))
	round := make([]measured, len(sides))
	b.ResetTimer()
	for r := range rounds {
		candN := b.N / rounds
		if r < b.N%rounds {
			candN++
		}
		for k := range sides {
			i := (r + k) % len(sides)
			if (r/len(sides))%2 == 1 {
				i = len(sides) - 1 - i
			}
			round[i] = measure(sides[i], max(1, int(math.Round(float64(candN)*scale[i]))))
			total[i].add(round[i])
		}
		for i := 1; i < len(sides); i++ {
			ratios[i] = append(ratios[i], round[0].nsPerOp()/round[i].nsPerOp())
		}
	}
	b.StopTimer()

	cand := total[0]
	b.ReportMetric(cand.nsPerOp(), "ns/op")
	b.ReportMetric(float64(cand.allocs)/float64(cand.ops), "allocs/op")
	b.ReportMetric(float64(cand.bytes)/float64(cand.ops), "B/op")
	for i := 1; i < len(sides); i++ {
		name := sides[i].name
		b.ReportMetric(median(ratios[i]), "x-vs-"+name)
		b.ReportMetric(total[i].nsPerOp(), name+"-ns/op")
		b.ReportMetric(float64(total[i].allocs)/float64(total[i].ops), name+"-allocs/op")
	}
}

// calibrate runs s for at least calibrationTime and returns its cost in
// nanoseconds per operation.
func calibrate(s side) float64 {
	for n := 16; ; n *= 2 {
		if m := measure(s, n); m.time >= calibrationTime {
			return m.nsPerOp()
		}
	}
}

// measure runs s n times and returns what it cost, leaving out the time
// spent in s.prepare and s.settle.
func measure(s side, n int) measured {
	batch := n
	if s.batch > 0 {
		batch = s.batch
	}
	clock := s.clock
	if clock == nil {
		clock = wallClock
	}
	if s.prepare != nil {
		s.prepare()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var d time.Duration
	for done := 0; done < n; {
		k := min(batch, n-done)
		start := clock()
		s.run(k)
		d += clock() - start
		done += k
		if s.settle != nil {
			s.settle()
		}
	}
	runtime.ReadMemStats(&after)
	return measured{
		ops:    n,
		time:   d,
		allocs: after.Mallocs - before.Mallocs,
		bytes:  after.TotalAlloc - before.TotalAlloc,
	}
}

// wallStart is where wallClock counts from.
var wallStart = time.Now()

// wallClock reads the monotonic wall clock.
func wallClock() time.Duration { return time.Since(wallStart) }

// median returns the middle value of xs (the mean of the two middle values
// when their number is even). It sorts xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	mid := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[mid]
	}
	return (xs[mid-1] + xs[mid]) / 2
}
