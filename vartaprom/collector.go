// Package vartaprom exports the counters of varta agents to Prometheus.
//
// A Collector reads one agent's Stats when Prometheus scrapes it: it starts
// no goroutine and adds nothing to the beat path. Each collector has a name
// that tells its agent apart from the others, carried by every metric as
// the label agent, so the agents of a process (each beating to an observer
// of its own) share one registry:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(
//		vartaprom.NewCollector(queueAgent, "queue-worker"),
//		vartaprom.NewCollector(httpAgent, "http"),
//	)
//
// The metrics, all counters:
//
//	varta_client_beats_total{agent, outcome="sent"|"dropped"|"failed", reason}
//	varta_client_reconnects_total{agent}
//	varta_client_fork_recoveries_total{agent}
//	varta_client_clock_regressions_total{agent}
//	varta_client_resolutions_total{agent}
//	varta_client_resolution_failures_total{agent}
//	varta_client_address_changes_total{agent}
//
// reason is set on dropped beats only: "kernel_queue_full", "no_observer",
// "peer_gone" or "storage_full" (varta.DropReason in snake case); sent and
// failed beats carry an empty reason. While an observer is down, its
// agent's beats count as no_observer, the reason to alert on; over a Unix
// socket, peer_gone counts only beats that found the observer gone before
// any reconnect could tell more. Terminal frames are not beats and are
// not counted, as in varta.Stats. A fork recovery is counted when a beat
// notices that it runs in a forked (or restored) process: by a new pid,
// and, where the agent checks the fork mark (varta.ForkCheckMark, Linux),
// also by the cleared mark of a fork that kept the pid number, as a child
// in a new pid namespace can. The last three count, for an agent connected
// to its observer by host name, the lookups of the name after connect, those
// that found no usable address (the agent then stays where it was), and the
// moves to a new address of the name; an agent connected to an IP address
// or a Unix socket reports 0 for them.
//
// # Names
//
// Within one registry every collector needs a name of its own. Registering
// a collector under a name that is already registered fails:
// prometheus.Registry.Register returns a prometheus.AlreadyRegisteredError
// and MustRegister panics with it. An empty name fails the same way, with
// an error that says the name is empty: Prometheus drops a label whose
// value is empty, and every series of this package carries the label agent
// so that queries can group and select by it. Pick names that outlive the
// process (the daemon's role, the queue it serves), not a pid: each new
// name starts new series.
//
// The name does what wrapping each collector with a label of one's own
// (prometheus.WrapRegistererWith) did before NewCollector took one: no
// wrapping is needed. A program that wraps collectors to add labels of its
// own wraps every one of them, the first one included, with the same label
// names: a registry refuses a collector whose metrics carry other label
// names than those registered before it, with an error that says the
// descriptor "has different label names or a different help string"
// (MustRegister panics with it). Wrapping with the label agent, which the
// collector sets itself, is refused too.
//
// A collector follows one agent for its whole life. A daemon that closes
// its agent and connects a new one unregisters the old collector and
// registers one for the new agent under the same name; its counters start
// again from zero, which rate() and increase() read as a counter reset.
//
// This package is a module of its own, so that client_golang never enters
// the dependencies of the varta module.
//
// # Using it before the first tagged release
//
// No version of varta is tagged yet. This module's go.mod requires the
// varta module at the placeholder version v0.0.0-00010101000000-000000000000
// and replaces it with the checkout it sits in; in any other module that
// replace directive is ignored and the placeholder cannot be fetched, so
// "go get github.com/varta-go/varta/vartaprom" alone fails. Until the first
// tagged release, do one of these in your own module:
//
// Fetch both modules at one commit, in a single go get:
//
//	go get github.com/varta-go/varta@COMMIT github.com/varta-go/varta/vartaprom@COMMIT
//
// Your go.mod then requires the varta module at that commit's
// pseudo-version, which is higher than the placeholder and is the one used.
//
// Or point both modules at a checkout of the repository with replace
// directives in your go.mod, then run go mod tidy:
//
//	replace github.com/varta-go/varta => /path/to/varta
//	replace github.com/varta-go/varta/vartaprom => /path/to/varta/vartaprom
package vartaprom

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/varta-go/varta"
)

// agentLabel is the const label that carries a collector's name.
const agentLabel = "agent"

// errEmptyName is what registering a collector with an empty name fails
// with.
var errEmptyName = errors.New("vartaprom: the agent's name is empty: pass NewCollector a name that tells this agent apart from the others in the registry, such as the daemon's role")

// Collector is a prometheus.Collector over the Stats of one agent. It is
// safe for concurrent scrapes.
type Collector struct {
	stats func() varta.Stats
	// The descriptors of the metrics, labelled with the agent's name.
	beats, reconnects, forkRecoveries, clockRegressions *prometheus.Desc
	resolutions, resolutionFailures, addressChanges     *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector that reports agent's Stats at each
// scrape, with the label agent set to name. The name must not be empty
// and must differ from those of the other collectors in the registry (see
// Names in the package documentation); a registry refuses the collector
// otherwise. A nil or closed agent reports the counts it had (zero for
// nil).
func NewCollector(agent *varta.Varta, name string) *Collector {
	return newCollector(agent.Stats, name)
}

// newCollector returns a Collector that reports what stats returns.
func newCollector(stats func() varta.Stats, name string) *Collector {
	desc := func(fqName, help string, labels ...string) *prometheus.Desc {
		if name == "" {
			return prometheus.NewInvalidDesc(errEmptyName)
		}
		return prometheus.NewDesc(fqName, help, labels, prometheus.Labels{agentLabel: name})
	}
	return &Collector{
		stats: stats,
		beats: desc("varta_client_beats_total",
			"Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.",
			"outcome", "reason"),
		reconnects: desc("varta_client_reconnects_total",
			"Successful reconnects of the agent, automatic or requested."),
		forkRecoveries: desc("varta_client_fork_recoveries_total",
			"Forks and restores a beat noticed and followed by restarting the sequence: by a new pid, or by the cleared fork mark of a fork that kept the pid number (a new pid namespace)."),
		clockRegressions: desc("varta_client_clock_regressions_total",
			"Beats that found the clock behind the last sent timestamp and resent that timestamp."),
		resolutions: desc("varta_client_resolutions_total",
			"Lookups of the observer's host name after connect, periodic, after NoObserver drops, or by Reconnect."),
		resolutionFailures: desc("varta_client_resolution_failures_total",
			"Lookups of the observer's host name that found no usable address; the agent kept its address."),
		addressChanges: desc("varta_client_address_changes_total",
			"Moves of the agent to a new address of the observer's host name."),
	}
}

// Describe sends the descriptors of the metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.beats
	ch <- c.reconnects
	ch <- c.forkRecoveries
	ch <- c.clockRegressions
	ch <- c.resolutions
	ch <- c.resolutionFailures
	ch <- c.addressChanges
}

// Collect takes one Stats snapshot and sends every counter from it. A
// collector without a name sends an invalid metric instead, which makes
// the scrape fail with errEmptyName.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if err := c.beats.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(c.beats, err)
		return
	}
	s := c.stats()
	beats := func(n uint64, outcome, reason string) {
		ch <- prometheus.MustNewConstMetric(c.beats, prometheus.CounterValue, float64(n), outcome, reason)
	}
	beats(s.Sent, "sent", "")
	beats(s.DroppedKernelQueueFull, "dropped", "kernel_queue_full")
	beats(s.DroppedNoObserver, "dropped", "no_observer")
	beats(s.DroppedPeerGone, "dropped", "peer_gone")
	beats(s.DroppedStorageFull, "dropped", "storage_full")
	beats(s.Failed, "failed", "")
	ch <- prometheus.MustNewConstMetric(c.reconnects, prometheus.CounterValue, float64(s.Reconnects))
	ch <- prometheus.MustNewConstMetric(c.forkRecoveries, prometheus.CounterValue, float64(s.ForkRecoveries))
	ch <- prometheus.MustNewConstMetric(c.clockRegressions, prometheus.CounterValue, float64(s.ClockRegressions))
	ch <- prometheus.MustNewConstMetric(c.resolutions, prometheus.CounterValue, float64(s.Resolutions))
	ch <- prometheus.MustNewConstMetric(c.resolutionFailures, prometheus.CounterValue, float64(s.ResolutionFailures))
	ch <- prometheus.MustNewConstMetric(c.addressChanges, prometheus.CounterValue, float64(s.AddressChanges))
}
