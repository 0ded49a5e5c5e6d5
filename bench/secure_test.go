//go:build linux && secureudp

package bench

import (
	"encoding/binary"
	"testing"

	"github.com/varta-go/varta"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// BenchmarkSecureUDP compares secure UDP beats with the work no sealed
// beat can avoid, sealing 32 bytes with ChaCha20-Poly1305 and sending the
// 60-byte frame (x-vs-seal-send), and with that work preceded by reading
// the pid (x-vs-getpid-seal-send); and a master-key beat with a
// shared-key beat.
func BenchmarkSecureUDP(b *testing.B) {
	b.Run("sent", benchSecureSent)
	b.Run("master", benchSecureMaster)
	b.Run("dropped", benchSecureDropped)
	b.Run("dead-observer", benchSecureDeadObserver)
}

// benchSecureSent compares a shared-key beat with the bare seal and send,
// all into a receiver emptied between batches as in BenchmarkUDP/sent.
// Target: x-vs-seal-send <= 1.03.
func benchSecureSent(b *testing.B) {
	r := listenUDP(b)
	agent := connectSecure(b, r.port, varta.ConnectSecureUDP)

	var bare, pid tally
	compare(b,
		r.drained(side{name: "beat", run: beats(agent)}),
		r.drained(side{name: "seal-send", run: rawSeal(b, dialUDP(b, r.port), false, &bare)}),
		r.drained(side{name: "getpid-seal-send", run: rawSeal(b, dialUDP(b, r.port), true, &pid)}))

	st := agent.Stats()
	b.ReportMetric(float64(st.Sent)/float64(beatsSince(varta.Stats{}, st)), "sent-frac")
	bare.report(b, "seal-send")
	pid.report(b, "getpid-seal-send")
	r.empty()
	b.ReportMetric(float64(r.read)/float64(st.Sent+uint64(bare.sent+pid.sent)), "recv-frac")
}

// benchSecureMaster compares a master-key beat with a shared-key beat, both
// into a receiver emptied between batches. A master-key beat seals with a
// key derived at connect and sends 4 bytes more; it derives nothing
// itself. Target: x-vs-shared <= 1.05.
func benchSecureMaster(b *testing.B) {
	r := listenUDP(b)
	shared := connectSecure(b, r.port, varta.ConnectSecureUDP)
	master := connectSecure(b, r.port, varta.ConnectSecureUDPWithMaster)

	compare(b,
		r.drained(side{name: "master", run: beats(master)}),
		r.drained(side{name: "shared", run: beats(shared)}))

	ms, ss := master.Stats(), shared.Stats()
	b.ReportMetric(float64(ms.Sent)/float64(beatsSince(varta.Stats{}, ms)), "sent-frac")
	b.ReportMetric(float64(ss.Sent)/float64(beatsSince(varta.Stats{}, ss)), "shared-sent-frac")
	r.empty()
	b.ReportMetric(float64(r.read)/float64(ms.Sent+ss.Sent), "recv-frac")
}

// benchSecureDropped compares a shared-key beat with the bare seal and
// send, all to a loopback port nothing listens on: as in
// BenchmarkUDP/dropped, every other send on each side is refused.
// dropped-frac, seal-send-dropped-frac and getpid-seal-send-dropped-frac
// report the share refused. Target: x-vs-seal-send <= 1.05.
func benchSecureDropped(b *testing.B) {
	port := closedUDPPort(b)
	agent := connectSecure(b, port, varta.ConnectSecureUDP)

	var bare, pid tally
	compare(b,
		side{name: "beat", run: beats(agent)},
		side{name: "seal-send", run: rawSeal(b, dialUDP(b, port), false, &bare)},
		side{name: "getpid-seal-send", run: rawSeal(b, dialUDP(b, port), true, &pid)})

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedNoObserver)/float64(beatsSince(varta.Stats{}, st)), "dropped-frac")
	bare.reportDropped(b, "seal-send")
	pid.reportDropped(b, "getpid-seal-send")
}

// benchSecureDeadObserver is benchUDPDeadObserver for a shared-key beat,
// against a live seal and send (x-vs-live-seal-send). Target (R3.9):
// x-vs-live-seal-send <= 1.0.
func benchSecureDeadObserver(b *testing.B) {
	agent := connectSecure(b, closedUDPPort(b), varta.ConnectSecureUDP)
	live := listenUDP(b)
	compare(b,
		side{name: "beat", run: beats(agent)},
		live.drained(side{name: "live-seal-send", run: rawSeal(b, dialUDP(b, live.port), false, &tally{})}))

	st := agent.Stats()
	b.ReportMetric(float64(st.DroppedNoObserver)/float64(beatsSince(varta.Stats{}, st)), "dropped-frac")
}

// benchKey is the key of every secure benchmark.
var benchKey = [varta.KeyBytes]byte{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
}

// connectSecure returns an agent that connect (ConnectSecureUDP or
// ConnectSecureUDPWithMaster) connected with benchKey to the loopback
// port, closed when the benchmark ends.
func connectSecure(b *testing.B, port int, connect func(string, int, []byte) (*varta.Varta, error)) *varta.Varta {
	b.Helper()
	agent, err := connect("127.0.0.1", port, benchKey[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { agent.Close() })
	return agent
}

// rawSeal returns the floor of a shared-key beat: n times, read the pid if
// getpid says so, seal a 32-byte frame with ChaCha20-Poly1305 under a
// fresh nonce and send the 60-byte result (nonce, ciphertext, tag) on the
// connected socket fd, counting the sends in t. The nonce and the output
// live in buffers made once.
func rawSeal(b *testing.B, fd int, getpid bool, t *tally) func(n int) {
	b.Helper()
	aead, err := chacha20poly1305.New(benchKey[:])
	if err != nil {
		b.Fatal(err)
	}
	var frame [varta.FrameBytes]byte
	varta.Frame{Status: varta.StatusOK, PID: uint32(unix.Getpid())}.Encode(&frame)
	var nonce [chacha20poly1305.NonceSize]byte
	wire := make([]byte, varta.SecureFrameBytes)
	var counter uint32
	return func(n int) {
		for i := range n {
			frame[24] = byte(i)
			if getpid {
				frame[4] = byte(unix.Getpid()) // uses the pid, as such a beat does
			}
			counter++
			binary.LittleEndian.PutUint32(nonce[8:], counter)
			k := copy(wire, nonce[:])
			if unix.Send(fd, aead.Seal(wire[:k], nonce[:], frame[:], nil), 0) == nil {
				t.sent++
			}
		}
		t.ops += n
	}
}
