// Command fromenv is a daemon's smallest setup with the observer chosen by
// whoever runs it: it connects with ConnectFromEnv, which reads the target
// from VARTA_OBSERVER, sends a few beats and prints what became of each,
// and on its way out sends the terminal frame that tells the observer the
// exit is deliberate, not a hang.
//
//	VARTA_OBSERVER=unix:///run/varta/observer.sock go run ./examples/fromenv
//	VARTA_OBSERVER=udp://127.0.0.1:9000 go run -tags udp ./examples/fromenv
//
// It exits with status 1, printing the error, when the target is missing,
// malformed, names a transport the program was built without, or the
// observer cannot be reached.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/varta-go/varta"
)

func main() {
	n := flag.Int("n", 3, "number of beats to send")
	every := flag.Duration("every", 200*time.Millisecond, "time between beats")
	flag.Parse()
	if err := run(os.Stdout, *n, *every); err != nil {
		fmt.Fprintln(os.Stderr, "fromenv:", err)
		os.Exit(1)
	}
}

// run connects to the observer VARTA_OBSERVER names and sends n beats,
// every apart, then a terminal frame, writing one line per frame to w.
func run(w io.Writer, n int, every time.Duration) error {
	agent, err := varta.ConnectFromEnv()
	if err != nil {
		return err
	}
	defer agent.Close()
	defer agent.Guard()
	fmt.Fprintf(w, "connected to %s=%s\n", varta.ObserverEnv, os.Getenv(varta.ObserverEnv))
	for i := 1; i <= n; i++ {
		if i > 1 {
			time.Sleep(every)
		}
		fmt.Fprintf(w, "beat %d: %v\n", i, agent.Beat(varta.StatusOK, uint32(i)))
	}
	st := agent.Stats()
	fmt.Fprintf(w, "sent %d, dropped %d, failed %d\n", st.Sent, st.Dropped(), st.Failed)
	// The program is about to exit: say so, or the observer learns it only
	// when the beats stop.
	fmt.Fprintf(w, "terminal frame: %v\n", agent.SendTerminal())
	return nil
}
