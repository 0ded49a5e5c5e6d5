// Package vartaprom exports the counters of a varta agent to Prometheus.
//
// A Collector reads the agent's Stats when Prometheus scrapes it: it starts
// no goroutine and adds nothing to the beat path. Register one per agent:
//
//	agent, err := varta.Connect("/run/varta/observer.sock")
//	...
//	prometheus.MustRegister(vartaprom.NewCollector(agent))
//
// where vartaprom is this package: its name does not hide client_golang's
// prometheus package, which a file that registers it imports too.
//
// The metrics, all counters:
//
//	varta_client_beats_total{outcome="sent"|"dropped"|"failed", reason=...}
//	varta_client_reconnects_total
//	varta_client_fork_recoveries_total
//	varta_client_clock_regression_total
//
// reason is set on dropped beats only: "kernel_queue_full", "no_observer",
// "peer_gone" or "storage_full" (varta.DropReason in snake case); sent and
// failed beats carry an empty reason. Terminal frames are not beats and are
// not counted, as in varta.Stats. For several agents in one process, register
// each collector through prometheus.WrapRegistererWith with a label that
// tells them apart.
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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/varta-go/varta"
)

var (
	beatsDesc = prometheus.NewDesc("varta_client_beats_total",
		"Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.",
		[]string{"outcome", "reason"}, nil)
	reconnectsDesc = prometheus.NewDesc("varta_client_reconnects_total",
		"Successful reconnects of the agent, automatic or requested.", nil, nil)
	forkRecoveriesDesc = prometheus.NewDesc("varta_client_fork_recoveries_total",
		"Times a beat found a new pid (fork or restore) and restarted the sequence.", nil, nil)
	clockRegressionsDesc = prometheus.NewDesc("varta_client_clock_regression_total",
		"Beats that found the clock behind the last sent timestamp and resent that timestamp.", nil, nil)
)

// Collector is a prometheus.Collector over the Stats of one agent. It is
// safe for concurrent scrapes.
type Collector struct {
	stats func() varta.Stats
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector that reports agent's Stats at each scrape.
// A nil or closed agent reports the counts it had (zero for nil).
func NewCollector(agent *varta.Varta) *Collector {
	return &Collector{stats: agent.Stats}
}

// Describe sends the descriptors of the four metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- beatsDesc
	ch <- reconnectsDesc
	ch <- forkRecoveriesDesc
	ch <- clockRegressionsDesc
}

// Collect takes one Stats snapshot and sends every counter from it.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	beats := func(n uint64, outcome, reason string) {
		ch <- prometheus.MustNewConstMetric(beatsDesc, prometheus.CounterValue, float64(n), outcome, reason)
	}
	beats(s.Sent, "sent", "")
	beats(s.DroppedKernelQueueFull, "dropped", "kernel_queue_full")
	beats(s.DroppedNoObserver, "dropped", "no_observer")
	beats(s.DroppedPeerGone, "dropped", "peer_gone")
	beats(s.DroppedStorageFull, "dropped", "storage_full")
	beats(s.Failed, "failed", "")
	ch <- prometheus.MustNewConstMetric(reconnectsDesc, prometheus.CounterValue, float64(s.Reconnects))
	ch <- prometheus.MustNewConstMetric(forkRecoveriesDesc, prometheus.CounterValue, float64(s.ForkRecoveries))
	ch <- prometheus.MustNewConstMetric(clockRegressionsDesc, prometheus.CounterValue, float64(s.ClockRegressions))
}
