package vartaprom

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/varta-go/varta"
)

// TestCollectorExportsEveryCounter gives every Stats field its own value, so
// that each must land on its own metric and label, all under the agent's
// name.
func TestCollectorExportsEveryCounter(t *testing.T) {
	c := newCollector(func() varta.Stats {
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
			Resolutions:            10,
			ResolutionFailures:     11,
			AddressChanges:         12,
		}
	}, "queue-worker")
	const want = `
# HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
# TYPE varta_client_beats_total counter
varta_client_beats_total{agent="queue-worker",outcome="sent",reason=""} 1
varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="kernel_queue_full"} 2
varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="no_observer"} 3
varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="peer_gone"} 4
varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="storage_full"} 5
varta_client_beats_total{agent="queue-worker",outcome="failed",reason=""} 6
# HELP varta_client_reconnects_total Successful reconnects of the agent, automatic or requested.
# TYPE varta_client_reconnects_total counter
varta_client_reconnects_total{agent="queue-worker"} 7
# HELP varta_client_fork_recoveries_total Forks and restores a beat noticed and followed by restarting the sequence: by a new pid, or by the cleared fork mark of a fork that kept the pid number (a new pid namespace).
# TYPE varta_client_fork_recoveries_total counter
varta_client_fork_recoveries_total{agent="queue-worker"} 9
# HELP varta_client_clock_regressions_total Beats that found the clock behind the last sent timestamp and resent that timestamp.
# TYPE varta_client_clock_regressions_total counter
varta_client_clock_regressions_total{agent="queue-worker"} 8
# HELP varta_client_resolutions_total Lookups of the observer's host name after connect, periodic, after NoObserver drops, or by Reconnect.
# TYPE varta_client_resolutions_total counter
varta_client_resolutions_total{agent="queue-worker"} 10
# HELP varta_client_resolution_failures_total Lookups of the observer's host name that found no usable address; the agent kept its address.
# TYPE varta_client_resolution_failures_total counter
varta_client_resolution_failures_total{agent="queue-worker"} 11
# HELP varta_client_address_changes_total Moves of the agent to a new address of the observer's host name.
# TYPE varta_client_address_changes_total counter
varta_client_address_changes_total{agent="queue-worker"} 12
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 12 {
		t.Errorf("collected %d metrics, want 12", n)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestRegistryRefusesAMissingOrRepeatedName: collectors with names of their
// own share a registry; an empty name and a name already registered are
// refused by Register, the first with errEmptyName and the second with
// prometheus.AlreadyRegisteredError, and a nameless collector that is
// collected anyway fails the scrape with errEmptyName.
func TestRegistryRefusesAMissingOrRepeatedName(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	for _, name := range []string{"queue-worker", "http"} {
		if err := reg.Register(NewCollector(nil, name)); err != nil {
			t.Fatalf("registering %q: %v", name, err)
		}
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}

	err := reg.Register(NewCollector(nil, "http"))
	if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) {
		t.Errorf("registering a second collector named %q: %v, want a prometheus.AlreadyRegisteredError", "http", err)
	}

	nameless := NewCollector(nil, "")
	if err := reg.Register(nameless); !errors.Is(err, errEmptyName) {
		t.Errorf("registering a collector without a name: %v, want %v", err, errEmptyName)
	}
	ch := make(chan prometheus.Metric, 12)
	nameless.Collect(ch)
	close(ch)
	if n := len(ch); n != 1 {
		t.Errorf("a collector without a name sent %d metrics, want 1 that fails", n)
	}
	for m := range ch {
		if err := m.Write(&dto.Metric{}); !errors.Is(err, errEmptyName) {
			t.Errorf("writing a metric of a collector without a name: %v, want %v", err, errEmptyName)
		}
	}
}

// TestWrappingByHandNeedsEveryCollectorWrappedAlike checks what the package
// documentation says of a program that wraps collectors with labels of its
// own: wrapping all of them alike works; wrapping all but the first is
// refused for different label names; wrapping with the label agent, which
// the collector sets, is refused.
func TestWrappingByHandNeedsEveryCollectorWrappedAlike(t *testing.T) {
	wrap := func(reg prometheus.Registerer, label, value string) prometheus.Registerer {
		return prometheus.WrapRegistererWith(prometheus.Labels{label: value}, reg)
	}

	alike := prometheus.NewPedanticRegistry()
	for i, name := range []string{"queue-worker", "http"} {
		if err := wrap(alike, "shard", strconv.Itoa(i)).Register(NewCollector(nil, name)); err != nil {
			t.Fatalf("registering %q wrapped like the others: %v", name, err)
		}
	}
	if _, err := alike.Gather(); err != nil {
		t.Fatal(err)
	}

	firstBare := prometheus.NewPedanticRegistry()
	if err := firstBare.Register(NewCollector(nil, "queue-worker")); err != nil {
		t.Fatal(err)
	}
	err := wrap(firstBare, "shard", "1").Register(NewCollector(nil, "http"))
	if err == nil || !strings.Contains(err.Error(), "different label names") {
		t.Errorf("registering a wrapped collector beside a bare one: %v, want an error about different label names", err)
	}

	err = wrap(prometheus.NewPedanticRegistry(), agentLabel, "web").Register(NewCollector(nil, "web"))
	if err == nil || !strings.Contains(err.Error(), `already existing label name "agent"`) {
		t.Errorf("wrapping with the label agent: %v, want it refused", err)
	}
}
