//go:build (udp || secureudp) && unix

package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
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

// freeUDPPort returns a UDP port of 127.0.0.1 that was free a moment ago:
// a target names its port, which cannot be 0. Another program could take
// it before vartadump binds it; on loopback, within milliseconds, none
// does.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func TestDumpTakesAUDPTarget(t *testing.T) {
	target := "udp://127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	d := startDump(t, target, "-json")
	if want := "udp " + strings.TrimPrefix(target, "udp://") + " for plain frames;"; !strings.HasPrefix(d.listenOn, want) {
		t.Errorf("listening on %q, want %q", d.listenOn, want)
	}
	beatsArrive(t, d, connectTo(t, target))
	stopsWithSummary(t, d, "2 frames")
}

// -udp 0.0.0.0:PORT, [::]:PORT and :PORT listen on every address: an
// agent beating to 127.0.0.1 reaches each.
func TestDumpListensOnEveryInterfaceWithAWildcardUDPFlag(t *testing.T) {
	for _, host := range []string{"0.0.0.0", "[::]", ""} {
		t.Run(host, func(t *testing.T) {
			d := startDump(t, "-udp", host+":0", "-json")
			listens := host
			if host == "" {
				listens = "[::]"
			}
			if want := "udp " + listens + ":"; !strings.HasPrefix(d.listenOn, want) {
				t.Errorf("listening on %q, want %q", d.listenOn, want)
			}
			agent, err := varta.ConnectUDP("127.0.0.1", udpPort(t, d))
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			beatsArrive(t, d, agent)
			stopsWithSummary(t, d, "2 frames")
		})
	}
}

func TestDumpTakesTheTargetOfAVartatestUDPObserver(t *testing.T) {
	obs := vartatest.NewUDPObserver(t)
	cfg, err := configOf([]string{obs.Target()}, "")
	if err != nil || cfg.at.Scheme != "udp" || cfg.at.Host != "127.0.0.1" || cfg.at.Port != obs.Port() {
		t.Errorf("vartadump %s: %+v, %v; want udp on 127.0.0.1:%d", obs.Target(), cfg.at, err, obs.Port())
	}
}
