package varta_test

// Runnable examples of the public API: connecting, beating, reconnect
// settings, decoding frames, classifying send errors, a daemon loop and
// signal handling.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/varta-go/varta"
)

func ExampleConnect() {
	obs := startObserver() // stands in for the observer daemon
	defer obs.remove()

	agent, err := varta.Connect(obs.path)
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()

	out := agent.Beat(varta.StatusOK, 42)
	fmt.Println(out)

	f := obs.receive()
	fmt.Println(f.Status, f.Nonce, f.Payload)
	// Output:
	// sent
	// ok 1 42
}

func ExampleVarta_Beat() {
	obs := startObserver() // it never reads, so its queue fills up
	defer obs.remove()

	agent, err := varta.Connect(obs.path)
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()

	beat := func(status varta.Status) {
		out := agent.Beat(status, 0)
		switch {
		case out.IsSent():
			fmt.Println("sent")
		case out.IsDropped():
			// Nothing to fix: the observer is behind, stopped or gone. The
			// next beat carries the same nonce, so it sees no gap.
			fmt.Println("dropped:", out.DropReason())
		case out.IsFailed():
			// Needs attention: a bad status, a closed agent, or a send the
			// system refused for good.
			fmt.Println("failed:", out.Err())
		}
	}

	beat(varta.StatusOK)
	for agent.Beat(varta.StatusOK, 0).IsSent() {
		// fill the observer's queue
	}
	beat(varta.StatusDegraded)
	beat(varta.StatusStall)
	// Output:
	// sent
	// dropped: kernel queue full
	// failed: varta: beat refused: StatusStall is observer-only; send ok, degraded or critical
}

func ExampleVarta_SetReconnectAfter() {
	obs := startObserver()
	defer obs.remove()

	agent, err := varta.Connect(obs.path)
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	// Over a Unix socket the agent reconnects by itself on the first beat
	// that finds the observer gone: no call is needed. During an outage it
	// tries at most once per 50 ms, so at a cadence of 100 ms (here, the
	// sleeps) the first beat after the observer's return gets through.
	fmt.Println("observer up:  ", agent.Beat(varta.StatusOK, 0))
	obs.stop()
	fmt.Println("observer down:", agent.Beat(varta.StatusOK, 0))
	time.Sleep(100 * time.Millisecond)
	obs.listen() // the observer restarts on the same path
	fmt.Println("observer back:", agent.Beat(varta.StatusOK, 0))
	fmt.Println("nonce received:", obs.receive().Nonce) // the dropped beat used no nonce
	fmt.Println("reconnects:", agent.Stats().Reconnects)

	agent.SetReconnectAfter(0) // self-healing off: only Reconnect finds a restarted observer
	obs.stop()
	obs.listen()
	fmt.Println("healing off:  ", agent.Beat(varta.StatusOK, 0))
	// Output:
	// observer up:   sent
	// observer down: dropped: no observer
	// observer back: sent
	// nonce received: 2
	// reconnects: 1
	// healing off:   dropped: no observer
}

func ExampleDecodeFrame() {
	var wire [varta.FrameBytes]byte
	varta.Frame{Status: varta.StatusDegraded, PID: 4242, Timestamp: 1_500_000, Nonce: 7, Payload: 480}.Encode(&wire)

	f, err := varta.DecodeFrame(wire[:])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Status, f.Nonce, f.Payload)

	wire[24] ^= 0x01 // one bit of the payload flips in transit
	_, err = varta.DecodeFrame(wire[:])
	fmt.Println(errors.Is(err, varta.ErrBadCRC))
	fmt.Println(err)
	// Output:
	// degraded 7 480
	// true
	// varta: CRC-32C mismatch (frame corrupted): frame carries 744c5b29, its bytes hash to a909f191
}

// ExampleClassifySendError maps the error of a send made outside the agent
// (a custom transport, say) to the outcome Beat would report for it.
func ExampleClassifySendError() {
	for _, err := range []error{
		nil,
		os.NewSyscallError("sendto", syscall.EAGAIN),
		syscall.ECONNREFUSED,
		syscall.EMSGSIZE,
	} {
		fmt.Println(varta.ClassifySendError(err))
	}
	// Output:
	// sent
	// dropped: kernel queue full
	// dropped: no observer
	// failed: varta: send failed: message too long
}

// observer stands in for the observer daemon in the examples: a Unix
// datagram socket bound in a temporary directory.
type observer struct {
	path string
	conn *net.UnixConn
}

// startObserver binds an observer to a fresh path.
func startObserver() *observer {
	dir, err := os.MkdirTemp("", "varta") // short: socket paths hold 107 bytes
	if err != nil {
		log.Fatal(err)
	}
	obs := &observer{path: filepath.Join(dir, "observer.sock")}
	obs.listen()
	return obs
}

// listen binds the observer's socket to its path.
func (o *observer) listen() {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: o.path, Net: "unixgram"})
	if err != nil {
		log.Fatal(err)
	}
	o.conn = conn
}

// receive waits for one frame and decodes it. The deadline only keeps a
// broken run from hanging.
func (o *observer) receive() varta.Frame {
	var buf [64]byte
	o.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := o.conn.Read(buf[:])
	if err != nil {
		log.Fatal(err)
	}
	f, err := varta.DecodeFrame(buf[:n])
	if err != nil {
		log.Fatal(err)
	}
	return f
}

// stop closes the socket and removes its file, as an observer that shuts
// down does.
func (o *observer) stop() {
	if o.conn != nil {
		o.conn.Close()
		o.conn = nil
		os.Remove(o.path)
	}
}

// remove stops the observer and deletes its temporary directory.
func (o *observer) remove() {
	o.stop()
	os.RemoveAll(filepath.Dir(o.path))
}

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
