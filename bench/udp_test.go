//go:build linux && (udp || secureudp)

package bench

import (
	"testing"

	"github.com/varta-go/varta"
)

// BenchmarkUDP compares a plain UDP beat with the system calls no beat can
// avoid: reading the pid and sending 32 bytes on a connected non-blocking
// UDP socket to a loopback port.
func BenchmarkUDP(b *testing.B) {
	b.Run("sent", benchUDPSent)
	b.Run("dropped", benchUDPDropped)
	b.Run("raw-vs-raw", benchUDPRawVsRaw)
}

// benchUDPSent beats to a receiver that is emptied between batches of half
// its receive buffer. Target: x-vs-raw <= 1.05. A UDP send succeeds even
// when the receiver's buffer is full (the kernel then drops the datagram
// on arrival, a shorter path), so besides the share of sends the kernel
// accepted (sent-frac, raw-sent-frac) the benchmark reports recv-frac, the
// share of both sides' datagrams the receiver read: 1 means every send
// measured queued its datagram.
func benchUDPSent(b *testing.B) {
	r := listenUDP(b)
	agent := connectUDP(b, r.port)
	fd := dialUDP(b, r.port)

	var raw tally
	compare(b,
		r.drained(side{name: "raw", run: rawSend(fd, &raw)}),
		r.drained(side{name: "beat", run: beats(agent)}),
		"x-vs-raw")

	st := agent.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	b.ReportMetric(float64(raw.sent)/float64(raw.ops), "raw-sent-frac")
	r.empty()
	b.ReportMetric(float64(r.read)/float64(st.Sent+uint64(raw.sent)), "recv-frac")
}

// benchUDPDropped beats to a loopback port nothing listens on. Target:
// x-vs-raw <= 1.05. The kernel accepts a send there, then the ICMP port
// unreachable it provokes makes the next send on the socket fail with
// ECONNREFUSED (Dropped(NoObserver)) and clears the error, so sends
// alternate between the two paths on both sides. dropped-frac and
// raw-dropped-frac report the share refused: both should read 0.5.
func benchUDPDropped(b *testing.B) {
	port := closedUDPPort(b)
	agent := connectUDP(b, port)
	fd := dialUDP(b, port)

	var raw tally
	compare(b,
		side{name: "raw", run: rawSend(fd, &raw)},
		side{name: "beat", run: beats(agent)},
		"x-vs-raw")

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedNoObserver)/float64(beatsSince(varta.Stats{}, st)), "dropped-frac")
	b.ReportMetric(float64(raw.ops-raw.sent)/float64(raw.ops), "raw-dropped-frac")
}

// benchUDPRawVsRaw compares the raw send of benchUDPSent with itself, on
// two sockets to the same receiver. It should read 1: how far it strays
// shows the noise the other UDP ratios carry on this machine.
func benchUDPRawVsRaw(b *testing.B) {
	r := listenUDP(b)
	compare(b,
		r.drained(side{name: "raw", run: rawSend(dialUDP(b, r.port), &tally{})}),
		r.drained(side{name: "same", run: rawSend(dialUDP(b, r.port), &tally{})}),
		"x-vs-raw")
}

// connectUDP returns an agent sending plain beats to the loopback port,
// closed when the benchmark ends.
func connectUDP(b *testing.B, port int) *varta.Varta {
	b.Helper()
	agent, err := varta.ConnectUDP("127.0.0.1", port)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { agent.Close() })
	return agent
}
