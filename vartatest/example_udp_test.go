//go:build (udp || secureudp) && unix

package vartatest_test

import (
	"fmt"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// An agent beats over UDP to the observer's Target,
// udp://127.0.0.1:port.
func ExampleNewUDPObserver() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	obs := vartatest.NewUDPObserver(t)
	agent, err := varta.ConnectTo(obs.Target())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	agent.Beat(varta.StatusDegraded, 3)

	f, err := obs.Next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(f.Status, f.Nonce, f.Payload)
	// Output: degraded 1 3
}
