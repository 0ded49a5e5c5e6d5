//go:build linux && secureudp

package bench

import (
	"crypto/cipher"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// BenchmarkSecureOpener compares an observer opening shared-key frames
// with a SecureOpener, which holds one cipher for its life, against
// OpenSecureFrame, which builds one per frame.
func BenchmarkSecureOpener(b *testing.B) {
	b.Run("genuine", func(b *testing.B) {
		opener, err := varta.NewSecureOpener(benchKey[:])
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { opener.Close() })
		compare(b,
			newBeatRing(b, false, 16).opens(b, "opener", opener.Open),
			newBeatRing(b, false, 16).opens(b, "stateless", func(w []byte) (varta.Frame, error) { return varta.OpenSecureFrame(benchKey[:], w) }))
	})
	b.Run("forged", func(b *testing.B) {
		opener, err := varta.NewSecureOpener(benchKey[:])
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { opener.Close() })
		forged := newBeatRing(b, false, 16).forge()
		compare(b,
			side{name: "opener", run: openAll(b, forged, false, opener.Open)},
			side{name: "stateless", run: openAll(b, forged, false, func(w []byte) (varta.Frame, error) { return varta.OpenSecureFrame(benchKey[:], w) })})
	})
}

// BenchmarkMasterOpener compares an observer opening master-key frames
// with a MasterOpener against OpenMasterFrame, which derives the sender's
// key for every frame, and times a MasterOpener's genuine frames while
// forged ones flood it.
func BenchmarkMasterOpener(b *testing.B) {
	b.Run("known-pids", benchOpenerKnown)
	b.Run("forged-pids", benchOpenerForged)
	b.Run("flood", benchOpenerFlood)
}

// benchOpenerKnown opens genuine frames from 16 agents, which the opener
// remembers after the first frame of each: after that, no key is
// derived. Target: x-vs-derive well below 1.
func benchOpenerKnown(b *testing.B) {
	opener := newOpener(b)
	compare(b,
		newBeatRing(b, true, 16).opens(b, "opener", opener.Open),
		newBeatRing(b, true, 16).opens(b, "derive", func(w []byte) (varta.Frame, error) { return varta.OpenMasterFrame(benchKey[:], w) }))
}

// benchOpenerForged opens forged frames, each from a pid of its own:
// nothing authenticates, nothing is remembered, and each frame costs the
// opener a key derivation, which starts from the HKDF-Extract of the
// master key it computed once, where OpenMasterFrame starts from the
// master key. Target: x-vs-derive below 1.
func benchOpenerForged(b *testing.B) {
	frames := masterFrames(b, 4096, false)
	opener := newOpener(b)
	compare(b,
		side{name: "opener", run: openAll(b, frames, false, opener.Open)},
		side{name: "derive", run: openAll(b, frames, false, func(w []byte) (varta.Frame, error) { return varta.OpenMasterFrame(benchKey[:], w) })})
}

// benchOpenerFlood opens genuine frames from 16 pids a MasterOpener
// remembers while two goroutines flood the same opener with forged frames
// from pids it does not know (flood), against the same opens with the two
// goroutines idle (quiet) and with their flood aimed at another opener
// (flood-elsewhere). Each side is timed by the CPU time of the thread
// that opens the genuine frames, not by the wall clock: the two cores of
// the machine do not fit three busy goroutines, and a wall clock would
// time the scheduler sharing them out, not the opener. A genuine frame
// that waits for the opener's lock while a forged one holds it costs that
// thread the spinning and the park and wake-up; time it spends runnable
// but descheduled costs it nothing. x-vs-quiet is what the flood costs a
// genuine frame (target: at most 1.5); x-vs-flood-elsewhere the part of
// it that sharing the opener costs, beyond the same load on the machine.
// forged-per-op is how many forged frames the opener refused per genuine
// frame while flooded.
func benchOpenerFlood(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	opener, elsewhere := newOpener(b), newOpener(b)
	ring := newBeatRing(b, true, 16)
	f := startFlood(b, 2, masterFrames(b, 4096, false), opener)
	genuine := func(name string, aim *varta.MasterOpener) side {
		s := ring.opens(b, name, opener.Open)
		s.prepare = func() { f.aim(aim) }
		s.clock = threadCPU
		return s
	}
	compare(b, genuine("flood", opener), genuine("quiet", nil), genuine("flood-elsewhere", elsewhere))
	f.aim(nil)
	b.ReportMetric(float64(f.refused.Load())/float64(b.N), "forged-per-op")
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

// threadCPU returns the CPU time the calling thread has used. The
// goroutine that reads it must stay on its thread (runtime.LockOSThread).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// flood is goroutines that open forged frames on the opener they are
// aimed at, one after the other, until the benchmark ends.
type flood struct {
	aims    []chan *varta.MasterOpener
	refused atomic.Uint64 // forged frames refused by the opener counted
}

// startFlood starts workers goroutines, idle until aimed, that open the
// forged frames in turn, and counts those refused by counted.
func startFlood(b *testing.B, workers int, forged [][]byte, counted *varta.MasterOpener) *flood {
	f := &flood{}
	for w := range workers {
		aim := make(chan *varta.MasterOpener)
		f.aims = append(f.aims, aim)
		go func() {
			var o *varta.MasterOpener
			for i := w; ; i += workers {
				if o == nil {
					next, ok := <-aim
					if !ok {
						return
					}
					o = next
					continue
				}
				select {
				case next, ok := <-aim:
					if !ok {
						return
					}
					o = next
					continue
				default:
				}
				if _, err := o.Open(forged[i%len(forged)]); err == nil {
					b.Error("a forged frame opened")
				}
				if o == counted {
					f.refused.Add(1)
				}
			}
		}()
	}
	b.Cleanup(func() {
		for _, aim := range f.aims {
			close(aim)
		}
	})
	return f
}

// aim has every goroutine of the flood open its next forged frames on o,
// or, with o nil, wait; it returns once each has taken the new aim.
func (f *flood) aim(o *varta.MasterOpener) {
	for _, aim := range f.aims {
		aim <- o
	}
}

// beatRing is a ring of genuine beats from a few pids, sealed with the
// shared benchKey or, for a master key, with the key derived from it for
// each pid. refill seals them all again under higher counters, so that
// each opens once in an opener that refuses replays: a side opens the
// ring in order between two refills.
type beatRing struct {
	master  bool
	pids    []uint32
	aeads   []cipher.AEAD
	counter uint32
	frames  [][]byte
	plain   [varta.FrameBytes]byte
	nonce   []byte
}

// ringFrames is the length of a beatRing.
const ringFrames = 1024

// newBeatRing returns a ring of beats from pids agents, sealed.
func newBeatRing(b *testing.B, master bool, pids int) *beatRing {
	b.Helper()
	r := &beatRing{master: master, nonce: make([]byte, chacha20poly1305.NonceSize)}
	for i := range pids {
		pid := uint32(1000 + i)
		key := benchKey[:]
		if master {
			k, err := varta.AgentKey(benchKey[:], pid)
			if err != nil {
				b.Fatal(err)
			}
			key = k
		}
		aead, err := chacha20poly1305.New(key)
		if err != nil {
			b.Fatal(err)
		}
		r.pids, r.aeads = append(r.pids, pid), append(r.aeads, aead)
		if !master {
			break // one key for every pid
		}
	}
	for range ringFrames {
		r.frames = append(r.frames, make([]byte, varta.MasterFrameBytes))
	}
	for len(r.pids) < pids {
		r.pids = append(r.pids, uint32(1000+len(r.pids)))
	}
	r.refill()
	return r
}

// refill seals every frame of the ring again, under the next counters.
// It allocates nothing.
func (r *beatRing) refill() {
	for i, w := range r.frames {
		r.counter++
		k := i % len(r.pids)
		pid := r.pids[k]
		varta.Frame{Status: varta.StatusOK, PID: pid, Timestamp: uint64(r.counter), Nonce: uint64(r.counter) + 1}.Encode(&r.plain)
		copy(r.nonce, "prefix!!")
		binary.LittleEndian.PutUint32(r.nonce[8:], r.counter)
		if !r.master {
			copy(w, r.nonce)
			r.frames[i] = r.aeads[0].Seal(w[:len(r.nonce)], r.nonce, r.plain[:], nil)
			continue
		}
		binary.LittleEndian.PutUint32(w, pid)
		copy(w[4:], r.nonce)
		r.aeads[k].Seal(w[:4+len(r.nonce)], r.nonce, r.plain[:], w[:4])
	}
}

// opens returns a side that opens the ring's frames with open, in order
// from the first after each refill, and fails the benchmark unless each
// opens.
func (r *beatRing) opens(b *testing.B, name string, open func([]byte) (varta.Frame, error)) side {
	return side{name: name, batch: len(r.frames), settle: r.refill, run: func(n int) {
		for _, w := range r.frames[:n] {
			if _, err := open(w); err != nil {
				b.Fatalf("opening a genuine frame: %v", err)
			}
		}
	}}
}

// forge returns the ring's frames with a tag that does not
// authenticate.
func (r *beatRing) forge() [][]byte {
	var forged [][]byte
	for _, w := range r.frames {
		f := append([]byte(nil), w...)
		f[len(f)-1] ^= 1
		forged = append(forged, f)
	}
	return forged
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
