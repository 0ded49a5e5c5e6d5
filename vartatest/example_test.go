//go:build unix

package vartatest_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// An agent connects to the observer's Target, as a daemon would find it in
// VARTA_OBSERVER, and the test reads its first beat.
func ExampleNewObserver() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	obs := vartatest.NewObserver(t)
	agent, err := varta.ConnectTo(obs.Target())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	agent.Beat(varta.StatusOK, 7)

	f, err := obs.Next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(f.Status, f.Nonce, f.Payload)
	// Output: ok 1 7
}

// The observer vanishes under a beating agent: the agent's beats are
// dropped, and the observer receives nothing more.
func ExampleObserver_Close() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	obs := vartatest.NewObserver(t)
	agent, err := varta.ConnectTo(obs.Target())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()

	obs.Close()
	fmt.Println("dropped:", agent.Beat(varta.StatusOK, 0).IsDropped())
	_, err = obs.Next(5 * time.Second)
	fmt.Println("closed:", errors.Is(err, net.ErrClosed))
	// Output:
	// dropped: true
	// closed: true
}

// A test that expects a bad frame to be caught receives it with Receive,
// which returns the violation instead of failing the test.
func ExampleObserver_Receive() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	obs := vartatest.NewObserver(t)
	conn, err := net.Dial("unixgram", obs.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A first beat whose nonce is 2, not 1.
	var b [varta.FrameBytes]byte
	varta.Frame{Status: varta.StatusOK, PID: uint32(os.Getpid()), Nonce: 2, Timestamp: 1}.Encode(&b)
	if _, err := conn.Write(b[:]); err != nil {
		t.Fatal(err)
	}

	f, err := obs.Receive(5 * time.Second)
	fmt.Println(f.Nonce, errors.Is(err, vartatest.ErrNonceSequence))
	// Output: 2 true
}

// A daemon that is told to stop sends a terminal frame; NextTerminal
// checks the beats before it and returns it.
func ExampleObserver_NextTerminal() {
	t := newExampleT() // in a test: the test's t *testing.T
	defer t.end()      // in a test: the end of the test, which runs the cleanups

	obs := vartatest.NewObserver(t)
	agent, err := varta.ConnectTo(obs.Target())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for range 3 {
		agent.Beat(varta.StatusOK, 0)
	}
	agent.SendTerminal() // as HandleSignals does on SIGTERM

	f, err := obs.NextTerminal(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(f.Status, vartatest.IsTerminal(f))
	// Output: critical true
}
