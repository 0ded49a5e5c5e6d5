// Command sdnotify is what the size test compares the agent with: one
// watchdog ping with go-systemd's daemon.SdNotify.
package main

import (
	"os"

	"github.com/coreos/go-systemd/v22/daemon"
)

func main() {
	if _, err := daemon.SdNotify(false, daemon.SdNotifyWatchdog); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
