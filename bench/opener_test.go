//go:build linux && secureudp

package bench

import (
	"encoding/binary"
	"testing"

	"github.com/varta-go/varta"
	"golang.org/x/crypto/chacha20poly1305"
)

// BenchmarkMasterOpener compares an observer opening master-key frames
// with a MasterOpener against OpenMasterFrame, which derives the sender's
// key for every frame.
func BenchmarkMasterOpener(b *testing.B) {
	b.Run("known-pids", benchOpenerKnown)
	b.Run("forged-pids", benchOpenerForged)
}

// benchOpenerKnown opens genuine frames from 16 agents, fewer than the
// opener caches: after the first frame of each, no key is derived.
// Target: x-vs-derive well below 1.
func benchOpenerKnown(b *testing.B) {
	frames := masterFrames(b, 16, true)
	opener := newOpener(b)
	compare(b,
		side{name: "opener", run: openAll(b, frames, true, opener.Open)},
		side{name: "derive", run: openAll(b, frames, true, func(w []byte) (varta.Frame, error) { return varta.OpenMasterFrame(benchKey[:], w) })})
}

// benchOpenerForged opens forged frames, each from a pid of its own:
// nothing authenticates, nothing is cached, and each frame costs the
// opener what it costs OpenMasterFrame. Target: x-vs-derive about 1.
func benchOpenerForged(b *testing.B) {
	frames := masterFrames(b, 4096, false)
	opener := newOpener(b)
	compare(b,
		side{name: "opener", run: openAll(b, frames, false, opener.Open)},
		side{name: "derive", run: openAll(b, frames, false, func(w []byte) (varta.Frame, error) { return varta.OpenMasterFrame(benchKey[:], w) })})
}

func newOpener(b *testing.B) *varta.MasterOpener {
	b.Helper()
	o, err := varta.NewMasterOpener(benchKey[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	return o
}

// masterFrames returns a master-key beat from each of n pids, sealed with
// the key derived for its pid from benchKey, or, unless genuine, with a
// tag that does not authenticate.
func masterFrames(b *testing.B, n int, genuine bool) [][]byte {
	b.Helper()
	frames := make([][]byte, n)
	for i := range frames {
		pid := uint32(1000 + i)
		key, err := varta.AgentKey(benchKey[:], pid)
		if err != nil {
			b.Fatal(err)
		}
		aead, err := chacha20poly1305.New(key)
		if err != nil {
			b.Fatal(err)
		}
		var plain [varta.FrameBytes]byte
		varta.Frame{Status: varta.StatusOK, PID: pid, Timestamp: 1, Nonce: 1}.Encode(&plain)
		head := binary.LittleEndian.AppendUint32(make([]byte, 0, varta.MasterFrameBytes), pid)
		nonce := make([]byte, chacha20poly1305.NonceSize)
		w := aead.Seal(append(head, nonce...), nonce, plain[:], head[:4])
		if !genuine {
			w[len(w)-1] ^= 1
		}
		frames[i] = w
	}
	return frames
}

// openAll returns a side's run: open the frames in turn, n of them,
// failing the benchmark when a frame opens or not against genuine.
func openAll(b *testing.B, frames [][]byte, genuine bool, open func([]byte) (varta.Frame, error)) func(n int) {
	i := 0
	return func(n int) {
		for range n {
			_, err := open(frames[i%len(frames)])
			i++
			if (err == nil) != genuine {
				b.Fatalf("opening a frame (genuine: %v): %v", genuine, err)
			}
		}
	}
}
