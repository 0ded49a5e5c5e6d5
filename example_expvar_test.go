package varta_test

// Example of publishing an agent's Stats through expvar.

import (
	"expvar"
	"fmt"
	"log"

	"github.com/varta-go/varta"
)

// Publishing the agent's counters with expvar, from the standard library:
// a program that serves HTTP shows them at /debug/vars, next to memstats.
// The snapshot is taken when the variable is read, never on the beat path.
func ExampleVarta_Stats_expvar() {
	obs := startObserver() // stands in for the observer daemon
	defer obs.remove()

	agent, err := varta.Connect(obs.path)
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()

	expvar.Publish("varta", expvar.Func(func() any { return agent.Stats() }))

	agent.Beat(varta.StatusOK, 0)
	agent.Beat(varta.StatusOK, 0)
	fmt.Println(expvar.Get("varta"))
	// Output:
	// {"Sent":2,"DroppedKernelQueueFull":0,"DroppedNoObserver":0,"DroppedPeerGone":0,"DroppedStorageFull":0,"Failed":0,"Reconnects":0,"ClockRegressions":0,"ForkRecoveries":0,"Resolutions":0,"ResolutionFailures":0,"AddressChanges":0}
}
