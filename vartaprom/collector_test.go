package vartaprom

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/varta-go/varta"
)

// TestCollectorExportsEveryCounter gives every Stats field its own value, so
// that each must land on its own metric and label.
func TestCollectorExportsEveryCounter(t *testing.T) {
	c := &Collector{stats: func() varta.Stats {
		return varta.Stats{
			Sent:                   1,
			DroppedKernelQueueFull: 2,
			DroppedNoObserver:      3,
			DroppedPeerGone:        4,
			DroppedStorageFull:     5,
			Failed:                 6,
			Reconnects:             7,
			ClockRegressions:       8,
			ForkRecoveries:         9,
		}
	}}
	const want = `
# HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
# TYPE varta_client_beats_total counter
varta_client_beats_total{outcome="sent",reason=""} 1
varta_client_beats_total{outcome="dropped",reason="kernel_queue_full"} 2
varta_client_beats_total{outcome="dropped",reason="no_observer"} 3
varta_client_beats_total{outcome="dropped",reason="peer_gone"} 4
varta_client_beats_total{outcome="dropped",reason="storage_full"} 5
varta_client_beats_total{outcome="failed",reason=""} 6
# HELP varta_client_reconnects_total Successful reconnects of the agent, automatic or requested.
# TYPE varta_client_reconnects_total counter
varta_client_reconnects_total 7
# HELP varta_client_fork_recoveries_total Times a beat found a new pid (fork or restore) and restarted the sequence.
# TYPE varta_client_fork_recoveries_total counter
varta_client_fork_recoveries_total 9
# HELP varta_client_clock_regression_total Beats that found the clock behind the last sent timestamp and resent that timestamp.
# TYPE varta_client_clock_regression_total counter
varta_client_clock_regression_total 8
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 9 {
		t.Errorf("collected %d metrics, want 9", n)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestCollectorRegistersOncePerRegistry checks that Describe declares what
// Collect sends: a registry accepts the collector and gathers it cleanly.
func TestCollectorRegistersOncePerRegistry(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(NewCollector(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(NewCollector(nil)); err == nil {
		t.Error("a second collector registered under the same names, want an error")
	}
}
