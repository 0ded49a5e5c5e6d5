//go:build linux

package bench

import (
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/varta-go/varta"
)

// BenchmarkSystemd compares a beat with the watchdog ping Go daemons send
// today, go-systemd's daemon.SdNotify(false, "WATCHDOG=1"), both to the
// same receiver, emptied between batches. x-vs-sdnotify is the cost of a
// beat as a fraction of a ping; sdnotify-allocs/op and allocs/op give the
// allocations of each. SdNotify dials a new socket per call and would wait
// on a full queue, so every ping it returns from was sent; sent-frac shows
// how many beats were.
func BenchmarkSystemd(b *testing.B) {
	b.Run("watchdog", func(b *testing.B) {
		r := listen(b)
		b.Setenv("NOTIFY_SOCKET", r.path)
		agent := connect(b, r.path)

		notify := func(n int) {
			for range n {
				if ok, err := daemon.SdNotify(false, daemon.SdNotifyWatchdog); !ok {
					b.Fatalf("SdNotify = %v, %v; want true, nil", ok, err)
				}
			}
		}
		compare(b,
			r.drained(side{name: "beat", run: beats(agent)}),
			r.drained(side{name: "sdnotify", run: notify}))

		st := agent.Stats()
		b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	})
}
