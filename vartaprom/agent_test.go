//go:build unix

package vartaprom_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartaprom"
	"github.com/varta-go/varta/vartatest"
)

// TestTwoAgentsInOneRegistryAreScrapedApart registers the collectors of two
// real agents in one registry and scrapes it after each round of beats:
// every scrape shows, under each agent's name, the beats that agent sent
// before it, and nothing of the other's.
func TestTwoAgentsInOneRegistryAreScrapedApart(t *testing.T) {
	queue, queueObs := connect(t)
	web, webObs := connect(t)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(
		vartaprom.NewCollector(queue, "queue-worker"),
		vartaprom.NewCollector(web, "web"),
	)

	for _, round := range []struct{ queue, web, wantQueue, wantWeb int }{
		{queue: 1, web: 0, wantQueue: 1, wantWeb: 0},
		{queue: 0, web: 2, wantQueue: 1, wantWeb: 2},
		{queue: 2, web: 1, wantQueue: 3, wantWeb: 3},
	} {
		beat(t, queue, queueObs, round.queue)
		beat(t, web, webObs, round.web)
		want := `
# HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
# TYPE varta_client_beats_total counter
` + sentLines("queue-worker", round.wantQueue) + sentLines("web", round.wantWeb)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "varta_client_beats_total"); err != nil {
			t.Errorf("after %d beats of queue-worker and %d of web: %v", round.wantQueue, round.wantWeb, err)
		}
	}
}

// TestObserverOutageIsScrapedAsNoObserver stops the observer of a real
// agent and beats 50 times: every beat is scraped as
// reason="no_observer", so that an alert on it sees the outage, and none
// as peer_gone.
func TestObserverOutageIsScrapedAsNoObserver(t *testing.T) {
	agent, obs := connect(t)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(vartaprom.NewCollector(agent, "queue-worker"))
	beat(t, agent, obs, 1)
	obs.Close()
	for range 50 {
		if out := agent.Beat(varta.StatusOK, 0); out.DropReason() != varta.NoObserver {
			t.Fatalf("beat with the observer gone = %v, want dropped: no observer", out)
		}
	}
	want := `
# HELP varta_client_beats_total Beats by outcome (sent, dropped, failed); reason says why a beat was dropped.
# TYPE varta_client_beats_total counter
` + strings.Replace(sentLines("queue-worker", 1), `reason="no_observer"} 0`, `reason="no_observer"} 50`, 1)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "varta_client_beats_total"); err != nil {
		t.Error(err)
	}
}

// connect returns an agent connected to a new test observer, and the
// observer.
func connect(t *testing.T) (*varta.Varta, *vartatest.Observer) {
	t.Helper()
	obs := vartatest.NewObserver(t)
	agent, err := varta.Connect(obs.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	return agent, obs
}

// beat sends n beats on agent, each of which must be sent and reach obs.
func beat(t *testing.T, agent *varta.Varta, obs *vartatest.Observer, n int) {
	t.Helper()
	for range n {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat: %v", out)
		}
		if _, err := obs.Next(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// sentLines returns the exposition lines of varta_client_beats_total for
// an agent named name that has sent n beats and dropped or failed none.
func sentLines(name string, n int) string {
	var b strings.Builder
	for _, l := range []struct {
		outcome, reason string
		n               int
	}{
		{"sent", "", n},
		{"dropped", "kernel_queue_full", 0},
		{"dropped", "no_observer", 0},
		{"dropped", "peer_gone", 0},
		{"dropped", "storage_full", 0},
		{"failed", "", 0},
	} {
		b.WriteString(`varta_client_beats_total{agent="` + name + `",outcome="` + l.outcome + `",reason="` + l.reason + `"} ` + strconv.Itoa(l.n) + "\n")
	}
	return b.String()
}
