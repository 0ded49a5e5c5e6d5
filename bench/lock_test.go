//go:build linux

package bench

import (
	"sync"
	"testing"

	"github.com/varta-go/varta"
)

// BenchmarkLock measures what serialising beats costs (SPEC R2.1: the lock
// must cost under 2% of a beat), on beats that are sent over a Unix
// datagram socket, as in BenchmarkUDS/sent.
//
//   - uncontended: one goroutine beats. A beat cannot be timed without its
//     lock, so the candidate is a beat that takes one more sync.Mutex the
//     way Beat takes its own (Lock, deferred Unlock), and the baseline the
//     plain beat on the same agent: x-vs-beat minus 1 is the share of a
//     beat that one such lock costs.
//   - 8-goroutines: eight goroutines beat at once on one shared agent,
//     against eight goroutines beating at once on agents of their own
//     (own-agents): x-vs-own-agents minus 1 is what sharing one agent adds
//     to each beat, the waits for its lock and its fields moving between
//     CPUs.
func BenchmarkLock(b *testing.B) {
	b.Run("uncontended", benchLockUncontended)
	b.Run("8-goroutines", func(b *testing.B) { benchLockShared(b, 8) })
}

// benchLockUncontended compares a beat under one more lock with a beat.
func benchLockUncontended(b *testing.B) {
	r := listen(b)
	agent := connect(b, r.path)
	compare(b,
		r.drained(side{name: "locked-beat", run: func(n int) {
			var mu sync.Mutex
			for i := range n {
				lockedBeat(&mu, agent, uint32(i))
			}
		}}),
		r.drained(side{name: "beat", run: beats(agent)}))

	st := agent.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
}

// lockedBeat beats on agent while holding mu, taken and released the way
// Beat takes and releases its own lock.
func lockedBeat(mu *sync.Mutex, agent *varta.Varta, payload uint32) {
	mu.Lock()
	defer mu.Unlock()
	agent.Beat(varta.StatusOK, payload)
}

// benchLockShared has workers goroutines beat at once, one queue's worth
// of beats between them before the receiver is emptied: on one shared
// agent, against each on an agent of its own. sent-frac (the shared
// agent's) and own-agents-sent-frac show that every beat was sent.
func benchLockShared(b *testing.B, workers int) {
	r := listen(b)
	shared := connect(b, r.path)
	own := make([]*varta.Varta, workers)
	for w := range own {
		own[w] = connect(b, r.path)
	}
	compare(b,
		r.drained(side{name: "shared-agent", run: beatsTogether(b, workers, func(int) *varta.Varta { return shared })}),
		r.drained(side{name: "own-agents", run: beatsTogether(b, workers, func(w int) *varta.Varta { return own[w] })}))

	st := shared.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	var sent, all uint64
	for _, agent := range own {
		st := agent.Stats()
		sent += st.Sent
		all += beatsSince(varta.Stats{}, st)
	}
	b.ReportMetric(float64(sent)/float64(all), "own-agents-sent-frac")
}

// beatsTogether starts workers goroutines, which end with the benchmark,
// and returns an operation that releases them one after the other and
// waits until they have beaten n times between them: worker w beats on
// agentOf(w), n/workers times, and once more if w < n%workers.
func beatsTogether(b *testing.B, workers int, agentOf func(w int) *varta.Varta) func(n int) {
	start := make([]chan int, workers)
	done := make(chan struct{}, workers)
	for w := range start {
		start[w] = make(chan int)
		agent := agentOf(w)
		go func() {
			for n := range start[w] {
				for i := range n {
					agent.Beat(varta.StatusOK, uint32(i))
				}
				done <- struct{}{}
			}
		}()
	}
	b.Cleanup(func() {
		for _, c := range start {
			close(c)
		}
	})
	return func(n int) {
		for w, c := range start {
			share := n / workers
			if w < n%workers {
				share++
			}
			c <- share
		}
		for range start {
			<-done
		}
	}
}
