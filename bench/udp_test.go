//go:build linux && (udp || secureudp)

package bench

import (
	"testing"

	"github.com/varta-go/varta"
)

// BenchmarkUDP compares a plain UDP beat with the one system call no beat
// can avoid, sending 32 bytes on a connected non-blocking UDP socket to a
// loopback port (x-vs-send), and with that send preceded by reading the
// pid (x-vs-getpid-send).
func BenchmarkUDP(b *testing.B) {
	b.Run("sent", benchUDPSent)
	b.Run("dropped", benchUDPDropped)
	b.Run("dead-observer", benchUDPDeadObserver)
	b.Run("send-vs-send", benchUDPSendVsSend)
}

// benchUDPSent beats to a receiver that is emptied between batches of half
// its receive buffer. Target: x-vs-send <= 1.03. A UDP send succeeds even
// when the receiver's buffer is full (the kernel then drops the datagram
// on arrival, a shorter path), so besides the share of sends the kernel
// accepted (sent-frac, send-sent-frac, getpid-send-sent-frac) the
// benchmark reports recv-frac, the share of all sides' datagrams the
// receiver read: 1 means every send measured queued its datagram.
func benchUDPSent(b *testing.B) {
	r := listenUDP(b)
	agent := connectUDP(b, r.port)

	var bare, pid tally
	compare(b,
		r.drained(side{name: "beat", run: beats(agent)}),
		r.drained(side{name: "send", run: bareSend(dialUDP(b, r.port), &bare)}),
		r.drained(side{name: "getpid-send", run: rawSend(dialUDP(b, r.port), &pid)}))

	st := agent.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	bare.report(b, "send")
	pid.report(b, "getpid-send")
	r.empty()
	b.ReportMetric(float64(r.read)/float64(st.Sent+uint64(bare.sent+pid.sent)), "recv-frac")
}

// benchUDPDropped beats to a loopback port nothing listens on. Target:
// x-vs-send <= 1.05. The kernel accepts a send there, then the ICMP port
// unreachable it provokes makes the next send on the socket fail with
// ECONNREFUSED (Dropped(NoObserver)) and clears the error, so sends
// alternate between the two paths on every side. dropped-frac,
// send-dropped-frac and getpid-send-dropped-frac report the share refused:
// all should read 0.5.
func benchUDPDropped(b *testing.B) {
	port := closedUDPPort(b)
	agent := connectUDP(b, port)

	var bare, pid tally
	compare(b,
		side{name: "beat", run: beats(agent)},
		side{name: "send", run: bareSend(dialUDP(b, port), &bare)},
		side{name: "getpid-send", run: rawSend(dialUDP(b, port), &pid)})

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedNoObserver)/float64(beatsSince(varta.Stats{}, st)), "dropped-frac")
	bare.reportDropped(b, "send")
	pid.reportDropped(b, "getpid-send")
}

// benchUDPDeadObserver beats in a loop with no pause to a loopback port
// nothing listens on, at the default settings (no self-healing over UDP),
// and compares that with a live send: the bare send of benchUDPSent to a
// drained receiver, timed in the same rounds (x-vs-live-send). Target
// (R3.9): x-vs-live-send <= 1.0. The beats alternate between an accepted
// send and one refused with ECONNREFUSED, as in benchUDPDropped.
func benchUDPDeadObserver(b *testing.B) {
	agent := connectUDP(b, closedUDPPort(b))
	live := listenUDP(b)
	compare(b,
		side{name: "beat", run: beats(agent)},
		live.drained(side{name: "live-send", run: bareSend(dialUDP(b, live.port), &tally{})}))

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedNoObserver)/float64(beatsSince(varta.Stats{}, st)), "dropped-frac")
}

// benchUDPSendVsSend compares the bare send of benchUDPSent with itself,
// on two sockets to the same receiver. It should read 1: how far it
// strays shows the noise the other UDP ratios carry on this machine.
func benchUDPSendVsSend(b *testing.B) {
	r := listenUDP(b)
	compare(b,
		r.drained(side{name: "send", run: bareSend(dialUDP(b, r.port), &tally{})}),
		r.drained(side{name: "send", run: bareSend(dialUDP(b, r.port), &tally{})}))
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
