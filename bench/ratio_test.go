package bench

import (
	"math"
	"runtime"
	"slices"
	"testing"
	"time"
)

// side is one of the two operations a ratio compares.
type side struct {
	// name prefixes the side's metrics: "raw" reports raw-ns/op.
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

// compare measures candidate against baseline on a noisy machine and
// reports, as unit, the median over interleaved rounds of the per-round
// ratio (candidate time per op) / (baseline time per op).
//
// Each round times one chunk of baseline operations and one chunk of
// candidate operations, alternating which goes first, so that drift in the
// machine's speed hits both sides alike. The baseline chunk is sized to
// take about as long as the candidate chunk, whatever their cost per
// operation.
//
// b.N counts candidate operations. The benchmark's ns/op, B/op and
// allocs/op are the candidate's, measured over the rounds (time spent in
// settle left out); the baseline's appear as <name>-ns/op and
// <name>-allocs/op.
func compare(b *testing.B, baseline, candidate side, unit string) {
	b.Helper()
	b.ReportAllocs()
	scale := calibrate(candidate) / calibrate(baseline)

	rounds := min(max(b.N/minChunk, 1), maxRounds)
	ratios := make([]float64, 0, rounds)
	var base, cand measured
	b.ResetTimer()
	for i := range rounds {
		candN := b.N / rounds
		if i < b.N%rounds {
			candN++
		}
		baseN := max(1, int(math.Round(float64(candN)*scale)))
		var bm, cm measured
		if i%2 == 0 {
			bm = measure(baseline, baseN)
			cm = measure(candidate, candN)
		} else {
			cm = measure(candidate, candN)
			bm = measure(baseline, baseN)
		}
		base.add(bm)
		cand.add(cm)
		ratios = append(ratios, cm.nsPerOp()/bm.nsPerOp())
	}
	b.StopTimer()

	b.ReportMetric(median(ratios), unit)
	b.ReportMetric(cand.nsPerOp(), "ns/op")
	b.ReportMetric(float64(cand.allocs)/float64(cand.ops), "allocs/op")
	b.ReportMetric(float64(cand.bytes)/float64(cand.ops), "B/op")
	b.ReportMetric(base.nsPerOp(), baseline.name+"-ns/op")
	b.ReportMetric(float64(base.allocs)/float64(base.ops), baseline.name+"-allocs/op")
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
// spent in s.settle.
func measure(s side, n int) measured {
	batch := n
	if s.batch > 0 {
		batch = s.batch
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var d time.Duration
	for done := 0; done < n; {
		k := min(batch, n-done)
		start := time.Now()
		s.run(k)
		d += time.Since(start)
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
