//go:build unix

package vartaprom_test

import (
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartaprom"
)

// A daemon with two agents, each beating to an observer of its own (an
// observer follows one stream of nonces per pid), registers a collector
// for each, under a name that tells them apart, in one registry, and
// serves the registry (here on a
// test server; in a daemon, with http.Handle("/metrics", ...)). Each scrape
// reads the agents' Stats.
func Example() {
	queuePath, stopQueue := startObserver() // stand in for observer daemons
	defer stopQueue()
	webPath, stopWeb := startObserver()
	defer stopWeb()

	queue, err := varta.Connect(queuePath)
	if err != nil {
		log.Fatal(err)
	}
	defer queue.Close()
	web, err := varta.Connect(webPath)
	if err != nil {
		log.Fatal(err)
	}
	defer web.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		vartaprom.NewCollector(queue, "queue-worker"),
		vartaprom.NewCollector(web, "web"),
	)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	queue.Beat(varta.StatusOK, 0)
	queue.Beat(varta.StatusOK, 0)
	web.Beat(varta.StatusOK, 0)

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// # HELP varta_client_address_changes_total Moves of the agent to a new address of the observer's host name.
	// # TYPE varta_client_address_changes_total counter
	// varta_client_address_changes_total{agent="queue-worker"} 0
	// varta_client_address_changes_total{agent="web"} 0
	// # HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
	// # TYPE varta_client_beats_total counter
	// varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="kernel_queue_full"} 0
	// varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="no_observer"} 0
	// varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="peer_gone"} 0
	// varta_client_beats_total{agent="queue-worker",outcome="dropped",reason="storage_full"} 0
	// varta_client_beats_total{agent="queue-worker",outcome="failed",reason=""} 0
	// varta_client_beats_total{agent="queue-worker",outcome="sent",reason=""} 2
	// varta_client_beats_total{agent="web",outcome="dropped",reason="kernel_queue_full"} 0
	// varta_client_beats_total{agent="web",outcome="dropped",reason="no_observer"} 0
	// varta_client_beats_total{agent="web",outcome="dropped",reason="peer_gone"} 0
	// varta_client_beats_total{agent="web",outcome="dropped",reason="storage_full"} 0
	// varta_client_beats_total{agent="web",outcome="failed",reason=""} 0
	// varta_client_beats_total{agent="web",outcome="sent",reason=""} 1
	// # HELP varta_client_clock_regressions_total Beats that found the clock behind the last sent timestamp and resent that timestamp.
	// # TYPE varta_client_clock_regressions_total counter
	// varta_client_clock_regressions_total{agent="queue-worker"} 0
	// varta_client_clock_regressions_total{agent="web"} 0
	// # HELP varta_client_fork_recoveries_total Forks and restores a beat noticed and followed by restarting the sequence: by a new pid, or by the cleared fork mark of a fork that kept the pid number (a new pid namespace).
	// # TYPE varta_client_fork_recoveries_total counter
	// varta_client_fork_recoveries_total{agent="queue-worker"} 0
	// varta_client_fork_recoveries_total{agent="web"} 0
	// # HELP varta_client_reconnects_total Successful reconnects of the agent, automatic or requested.
	// # TYPE varta_client_reconnects_total counter
	// varta_client_reconnects_total{agent="queue-worker"} 0
	// varta_client_reconnects_total{agent="web"} 0
	// # HELP varta_client_resolution_failures_total Lookups of the observer's host name that found no usable address; the agent kept its address.
	// # TYPE varta_client_resolution_failures_total counter
	// varta_client_resolution_failures_total{agent="queue-worker"} 0
	// varta_client_resolution_failures_total{agent="web"} 0
	// # HELP varta_client_resolutions_total Lookups of the observer's host name after connect, periodic, after NoObserver drops, or by Reconnect.
	// # TYPE varta_client_resolutions_total counter
	// varta_client_resolutions_total{agent="queue-worker"} 0
	// varta_client_resolutions_total{agent="web"} 0
}

// startObserver binds a Unix datagram socket in a new temporary directory
// and returns its path and a function that removes both.
func startObserver() (string, func()) {
	dir, err := os.MkdirTemp("", "vartaprom") // short: socket paths hold 107 bytes
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "observer.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		log.Fatal(err)
	}
	return path, func() {
		conn.Close()
		os.RemoveAll(dir)
	}
}
