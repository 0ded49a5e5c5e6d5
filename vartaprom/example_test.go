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

// A daemon registers one collector for its agent and serves the registry
// (here on a test server; in a daemon, with http.Handle("/metrics", ...)).
// Each scrape reads the agent's Stats.
func Example() {
	path, stop := startObserver() // stands in for the observer daemon
	defer stop()

	agent, err := varta.Connect(path)
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(vartaprom.NewCollector(agent))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	agent.Beat(varta.StatusOK, 0)
	agent.Beat(varta.StatusOK, 0)

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// # HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
	// # TYPE varta_client_beats_total counter
	// varta_client_beats_total{outcome="dropped",reason="kernel_queue_full"} 0
	// varta_client_beats_total{outcome="dropped",reason="no_observer"} 0
	// varta_client_beats_total{outcome="dropped",reason="peer_gone"} 0
	// varta_client_beats_total{outcome="dropped",reason="storage_full"} 0
	// varta_client_beats_total{outcome="failed",reason=""} 0
	// varta_client_beats_total{outcome="sent",reason=""} 2
	// # HELP varta_client_clock_regression_total Beats that found the clock behind the last sent timestamp and resent that timestamp.
	// # TYPE varta_client_clock_regression_total counter
	// varta_client_clock_regression_total 0
	// # HELP varta_client_fork_recoveries_total Times a beat found a new pid (fork or restore) and restarted the sequence.
	// # TYPE varta_client_fork_recoveries_total counter
	// varta_client_fork_recoveries_total 0
	// # HELP varta_client_reconnects_total Successful reconnects of the agent, automatic or requested.
	// # TYPE varta_client_reconnects_total counter
	// varta_client_reconnects_total 0
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
