//go:build secureudp && unix

package vartatest_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// An agent seals its beats under a shared key. The observer's Target
// names a key file the observer wrote, so the agent reads the key from
// there, as a deployed daemon does.
func ExampleNewSecureUDPObserver() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	key := bytes.Repeat([]byte{0x5a}, varta.KeyBytes) // a test key
	obs := vartatest.NewSecureUDPObserver(t, key)
	agent, err := varta.ConnectTo(obs.Target()) // secureudp://127.0.0.1:port?keyfile=/...
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	agent.Beat(varta.StatusOK, 1)

	f, err := obs.Next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(f.Status, f.Nonce, f.Payload)
	// Output: ok 1 1
}

// An agent seals its beats under a key derived from a master key for its
// pid, and the observer, holding the master key, opens them.
func ExampleNewSecureUDPObserverWithMaster() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	master := bytes.Repeat([]byte{0xa5}, varta.KeyBytes) // a test key
	obs := vartatest.NewSecureUDPObserverWithMaster(t, master)
	agent, err := varta.ConnectTo(obs.Target()) // secureudp://127.0.0.1:port?masterkeyfile=/...
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	agent.Beat(varta.StatusCritical, 9)

	f, err := obs.Next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(f.Status, f.Nonce, f.Payload)
	// Output: critical 1 9
}
