package varta_test

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/varta-go/varta"
)

// pendingJobs stands for whatever the daemon reports as a beat's payload.
func pendingJobs() int { return 0 }

// The usual daemon: connect once, guard against panics, beat until SIGTERM
// or Ctrl-C, then tell the observer that the exit is deliberate.
func Example_daemon() {
	agent, err := varta.Connect("/run/varta/observer.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	defer agent.Guard() // a panic below sends a terminal frame, then crashes as before

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	err = agent.Run(ctx, 500*time.Millisecond, func() (varta.Status, uint32) {
		n := pendingJobs()
		if n > 10_000 {
			return varta.StatusDegraded, uint32(n)
		}
		return varta.StatusOK, uint32(n)
	})
	// The beats have stopped: say why before the slower part of shutting down.
	agent.SendTerminal()
	log.Printf("shutting down: %v", err)
}

// A program with no signal handling of its own lets the agent send the
// terminal frame on SIGTERM, SIGINT, SIGQUIT or SIGHUP; the signal then
// ends the process as it would have without the agent.
func ExampleVarta_HandleSignals() {
	agent, err := varta.Connect("/run/varta/observer.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	defer agent.Guard()
	stop := agent.HandleSignals()
	defer stop()

	agent.Run(context.Background(), time.Second, func() (varta.Status, uint32) {
		return varta.StatusOK, 0
	})
}
