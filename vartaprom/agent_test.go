//go:build unix

package vartaprom_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartaprom"
	"github.com/varta-go/varta/vartatest"
)

// TestCollectorReadsTheAgentAtScrapeTime scrapes a real agent twice: each
// scrape shows the beats sent before it.
func TestCollectorReadsTheAgentAtScrapeTime(t *testing.T) {
	obs := vartatest.NewObserver(t)
	agent, err := varta.Connect(obs.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	c := vartaprom.NewCollector(agent)

	for sent := 1; sent <= 2; sent++ {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat: %v", out)
		}
		if _, err := obs.Next(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		want := `
# HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
# TYPE varta_client_beats_total counter
varta_client_beats_total{outcome="sent",reason=""} ` + strconv.Itoa(sent) + `
varta_client_beats_total{outcome="dropped",reason="kernel_queue_full"} 0
varta_client_beats_total{outcome="dropped",reason="no_observer"} 0
varta_client_beats_total{outcome="dropped",reason="peer_gone"} 0
varta_client_beats_total{outcome="dropped",reason="storage_full"} 0
varta_client_beats_total{outcome="failed",reason=""} 0
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "varta_client_beats_total"); err != nil {
			t.Errorf("after %d beats: %v", sent, err)
		}
	}
}
