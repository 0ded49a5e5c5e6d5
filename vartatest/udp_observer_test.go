//go:build (udp || secureudp) && unix

package vartatest_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// udpSender returns a function that sends datagrams to 127.0.0.1:port.
func udpSender(t *testing.T, port int) func([]byte) {
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return func(b []byte) {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUDPObserverAcceptsAnAgentsFrames(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewUDPObserver(rec)
	agent, err := varta.ConnectUDP("127.0.0.1", obs.Port())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for i := uint64(1); i <= 3; i++ {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		if f, err := obs.Next(wait); err != nil || f.Nonce != i {
			t.Fatalf("beat %d: got %+v, %v", i, f, err)
		}
	}
	agent.SendTerminal()
	if f, err := obs.Next(wait); err != nil || !vartatest.IsTerminal(f) {
		t.Fatalf("got %+v, %v, want a terminal frame", f, err)
	}
	rec.expectNoReport(t)
}

func TestUDPObserverReportsEachViolation(t *testing.T) {
	// UDP carries no credentials: any pid will do, and two pids' sequences
	// are told apart.
	cases := streamViolations(4242)
	other := frameBytes(varta.Frame{PID: 4343, Nonce: 1, Timestamp: 1})
	cases = append(cases, violation{"another pid's gap",
		[][]byte{frameBytes(varta.Frame{PID: 4242, Nonce: 1}), other, frameBytes(varta.Frame{PID: 4242, Nonce: 3})},
		vartatest.ErrNonceSequence, true})
	checkViolations(t, cases, func(tb testing.TB) (func([]byte), observer) {
		obs := vartatest.NewUDPObserver(tb)
		return udpSender(t, obs.Port()), obs
	})
}

func TestUDPObserverTargetReachesItThroughConnectTo(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewUDPObserver(rec)
	if want := "udp://127.0.0.1:" + strconv.Itoa(obs.Port()); obs.Target() != want {
		t.Errorf("Target() = %q, want %q", obs.Target(), want)
	}
	expectFirstBeat(t, obs, connect(t, obs.Target()))
	rec.expectNoReport(t)
}

func TestUDPObserverReceivesNothingAfterClose(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewUDPObserver(rec)
	send := udpSender(t, obs.Port())
	obs.Close()
	obs.Close()
	send(frameBytes(varta.Frame{PID: 4242, Nonce: 1}))
	expectClosed(t, obs)
	rec.expectNoReport(t)
}
