//go:build (udp || secureudp) && unix

package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
)

// udpPort returns the port a dump listens on.
func udpPort(t *testing.T, d *dump) int {
	t.Helper()
	addr, err := net.ResolveUDPAddr("udp", strings.Fields(d.listenOn)[1])
	if err != nil {
		t.Fatalf("listening on %q: %v", d.listenOn, err)
	}
	return addr.Port
}

func TestDumpPrintsEachFrameFromUDPAsJSON(t *testing.T) {
	d := startDump(t, "-udp", "127.0.0.1:0", "-json")
	agent, err := varta.ConnectUDP("127.0.0.1", udpPort(t, d))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	pid := os.Getpid()
	for i := uint64(1); i <= 3; i++ {
		beat(t, agent, varta.StatusOK, uint32(i))
		checkJSONFrame(t, d.line(), pid, "ok", i, uint32(i), false)
	}
	agent.SendTerminal()
	checkJSONFrame(t, d.line(), pid, "critical", varta.NonceTerminal, 0, true)
	code, stderr := d.interrupt(syscall.SIGINT)
	if want := fmt.Sprintf("pid %d: 4 frames, 0 nonce gaps, ", pid); code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and a summary with %q", code, stderr, want)
	}
}
