//go:build secureudp

package varta

// Proves the secure UDP transport end to end: an observer opens every
// beat, open errors are distinct, a nonce is never repeated even under
// concurrent beats, and Close wipes the key.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

func TestSecureUDPObserverOpensEveryBeat(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			clear(key[:8]) // the agent keeps its own copy
			key = testKey(t)
			log := newNonceLog(t, key, m.master)
			pid := uint32(os.Getpid())
			for i := uint64(1); i <= 5; i++ {
				if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
					t.Fatalf("beat %d: %v", i, out)
				}
				wire := r.recv()
				if want := map[bool]int{false: SecureFrameBytes, true: MasterFrameBytes}[m.master]; len(wire) != want {
					t.Fatalf("frame of %d bytes, want %d", len(wire), want)
				}
				f, at := log.open(wire, pid)
				if f.Nonce != i || f.Payload != uint32(i) || at.counter != uint32(i-1) {
					t.Fatalf("beat %d: frame %+v at counter %d", i, f, at.counter)
				}
			}
		})
	}
}

func TestOpenSecureFrameErrorsAreDistinct(t *testing.T) {
	key := testKey(t)
	other := bytes.Repeat([]byte{7}, KeyBytes)
	kinds := []error{ErrKeyLength, ErrSecureFrameLength, ErrAuthentication, ErrPIDMismatch, ErrBadPID}

	var plain [FrameBytes]byte
	Frame{Status: StatusOK, PID: 5000, Timestamp: 9, Nonce: 1}.Encode(&plain)
	nonce := bytes.Repeat([]byte{3}, chacha20poly1305.NonceSize)
	seal := func(k []byte, pid uint32, plain []byte, master bool) []byte {
		aead, _ := chacha20poly1305.New(k)
		if !master {
			return aead.Seal(append([]byte(nil), nonce...), nonce, plain, nil)
		}
		ak, _ := AgentKey(k, pid)
		aead, _ = chacha20poly1305.New(ak)
		head := binary.LittleEndian.AppendUint32(nil, pid)
		return aead.Seal(append(head, nonce...), nonce, plain, head)
	}
	shared := seal(key, 0, plain[:], false)
	masterWire := seal(key, 5000, plain[:], true)
	var pidOne [FrameBytes]byte
	Frame{Status: StatusOK, PID: 1, Timestamp: 9, Nonce: 1}.Encode(&pidOne)
	flipped := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		return c
	}
	samePIDPrefix := append([]byte(nil), masterWire...)
	binary.LittleEndian.PutUint32(samePIDPrefix, 5001)

	for _, tc := range []struct {
		name string
		open func() (Frame, error)
		want error
	}{
		{"shared/ok", func() (Frame, error) { return OpenSecureFrame(key, shared) }, nil},
		{"master/ok", func() (Frame, error) { return OpenMasterFrame(key, masterWire) }, nil},
		{"shared/short-key", func() (Frame, error) { return OpenSecureFrame(key[:31], shared) }, ErrKeyLength},
		{"master/long-key", func() (Frame, error) { return OpenMasterFrame(append(key, 0), masterWire) }, ErrKeyLength},
		{"shared/empty", func() (Frame, error) { return OpenSecureFrame(key, nil) }, ErrSecureFrameLength},
		{"shared/master-sized", func() (Frame, error) { return OpenSecureFrame(key, masterWire) }, ErrSecureFrameLength},
		{"master/shared-sized", func() (Frame, error) { return OpenMasterFrame(key, shared) }, ErrSecureFrameLength},
		{"shared/wrong-key", func() (Frame, error) { return OpenSecureFrame(other, shared) }, ErrAuthentication},
		{"shared/flipped-nonce", func() (Frame, error) { return OpenSecureFrame(key, flipped(shared, 3)) }, ErrAuthentication},
		{"shared/flipped-ciphertext", func() (Frame, error) { return OpenSecureFrame(key, flipped(shared, 20)) }, ErrAuthentication},
		{"shared/flipped-tag", func() (Frame, error) { return OpenSecureFrame(key, flipped(shared, 59)) }, ErrAuthentication},
		{"master/wrong-key", func() (Frame, error) { return OpenMasterFrame(other, masterWire) }, ErrAuthentication},
		{"master/other-pid-in-prefix", func() (Frame, error) { return OpenMasterFrame(key, samePIDPrefix) }, ErrAuthentication},
		{"master/pid-mismatch", func() (Frame, error) { return OpenMasterFrame(key, seal(key, 5001, plain[:], true)) }, ErrPIDMismatch},
		{"shared/invalid-frame-inside", func() (Frame, error) { return OpenSecureFrame(key, seal(key, 0, pidOne[:], false)) }, ErrBadPID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if tc.want == nil {
				if err != nil || f.PID != 5000 || f.Nonce != 1 {
					t.Fatalf("opened %+v, %v", f, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || f != (Frame{}) {
				t.Fatalf("opened %+v, %v; want %v", f, err, tc.want)
			}
			for _, k := range kinds {
				if k != tc.want && errors.Is(err, k) {
					t.Fatalf("error %v also matches %v", err, k)
				}
			}
		})
	}
}

// TestSecureNonceNeverRepeats checks R6.5 on what leaves the process: an
// agent goes through injected send failures, sends reported failed that
// still left the host, counter rotation, prefix exhaustion,
// auto-reconnect, an explicit reconnect, a simulated fork and terminal
// frames, and the observer opens every frame it receives without ever
// seeing a (key, nonce) pair twice. Every seal consumes its (prefix,
// counter) pair whatever the send returns (R6.4), while the frame nonce
// moves only with sent beats (R3.6).
func TestSecureNonceNeverRepeats(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, v, log := secureAgentAndLog(t, m)
			pid := uint32(os.Getpid())
			nonce := uint64(0) // the frame nonce the observer saw last
			sentFrames := 0

			beat := func() iv {
				t.Helper()
				if out := v.Beat(StatusOK, 0); !out.IsSent() {
					t.Fatalf("beat: %v", out)
				}
				sentFrames++
				f, at := log.open(r.recv(), pid)
				if f.Nonce != nonce+1 {
					t.Fatalf("frame nonce %d after %d: a gap or a repeat", f.Nonce, nonce)
				}
				nonce = f.Nonce
				return at
			}
			// failBeats makes n beats fail with a full kernel queue and
			// checks that none of them left the process.
			failBeats := func(n int) {
				t.Helper()
				fd, full, queued := fullSocket(t)
				restore := v.useSocket(t, fd)
				for range n {
					if out := v.Beat(StatusOK, 0); out != dropped(KernelQueueFull) {
						t.Fatalf("beat on a full queue: %v", out)
					}
				}
				restore()
				if got := full.drain(); got != queued {
					t.Fatalf("%d datagrams queued, %d were there before the failed beats", got, queued)
				}
			}

			first := beat()
			for range 3 {
				beat()
			}

			// Failed sends consume their counters: the next frame takes the
			// counter after the last failed one's.
			before := beat()
			failBeats(3)
			if at := beat(); at.prefix != before.prefix || at.counter != before.counter+4 {
				t.Fatalf("after 3 failed beats: %+v, want counter %d", at, before.counter+4)
			}

			// Sends that leave the host and still report failure (a
			// netfilter TEE, then a drop): the observer gets every one of
			// them, all carrying the same frame nonce, and never the same
			// AEAD nonce twice.
			restore := v.leakSends()
			for range 3 {
				if out := v.Beat(StatusOK, 0); out != dropped(KernelQueueFull) {
					t.Fatalf("beat reported failed: %v", out)
				}
				sentFrames++
				if f, _ := log.open(r.recv(), pid); f.Nonce != nonce+1 {
					t.Fatalf("leaked frame nonce %d, want %d", f.Nonce, nonce+1)
				}
			}
			if out := v.SendTerminal(); out != dropped(KernelQueueFull) {
				t.Fatalf("terminal frame reported failed: %v", out)
			}
			sentFrames++
			log.open(r.recv(), pid)
			restore()
			beat()

			// Counter rotation, with a failure on the last counter.
			v.setSessionPosition(5, lastCounter-1)
			p5 := beat()
			if p5.counter != lastCounter-1 {
				t.Fatalf("counter %d, want %d", p5.counter, uint32(lastCounter-1))
			}
			failBeats(1)
			p6 := beat()
			if p6.prefix == p5.prefix || p6.counter != 0 {
				t.Fatalf("after the last counter: %+v, want a new prefix and counter 0", p6)
			}

			// Prefix exhaustion: a new session, whose first counter a
			// failed beat consumes.
			v.setSessionPosition(lastIndex, lastCounter)
			last := beat()
			failBeats(1)
			renewed := beat()
			if renewed.prefix == last.prefix || renewed.prefix == first.prefix || renewed.counter != 1 {
				t.Fatalf("after the last prefix: %+v, want a new salt's prefix 0 and counter 1", renewed)
			}

			// Auto-reconnect: the observer refuses a beat, and the agent
			// replaces the socket; over UDP the drop stands (R3.7). The
			// reconnect keeps the session (R6.2): the next beat seals in
			// it, after the counter the dropped beat consumed (R6.4).
			v.SetReconnectAfter(1)
			restore = v.useSocket(t, refusedSocket(t))
			if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
				t.Fatalf("beat that reconnects: %v", out)
			}
			restore()
			v.SetReconnectAfter(0)
			at := beat()
			if at.prefix != renewed.prefix || at.counter != renewed.counter+2 {
				t.Fatalf("after the automatic reconnect: %+v, want the session of %+v", at, renewed)
			}

			// An explicit reconnect keeps the session too (R6.2).
			if err := v.Reconnect(); err != nil {
				t.Fatal(err)
			}
			if at2 := beat(); at2.prefix != at.prefix || at2.counter != at.counter+1 {
				t.Fatalf("after Reconnect: %+v, want the session of %+v", at2, at)
			}

			// A fork: a new pid, a new session and, with a master key, a
			// new key.
			pid++
			v.setPIDSource(func() int { return int(pid) })
			nonce = 0
			if at := beat(); at.counter != 0 || v.ForkRecoveries() != 1 {
				t.Fatalf("after fork: counter %d, %d fork recoveries", at.counter, v.ForkRecoveries())
			}
			beat()

			// Terminal frames, the same timestamp twice, one that fails,
			// and the last terminal counter.
			terminal := func(ts uint64) {
				t.Helper()
				if out := v.fireTerminal(ts); !out.IsSent() {
					t.Fatalf("terminal frame: %v", out)
				}
				sentFrames++
				if f, _ := log.open(r.recv(), pid); f.Nonce != NonceTerminal || f.Timestamp != ts {
					t.Fatalf("terminal frame %+v", f)
				}
			}
			terminal(100)
			terminal(100)
			fd, full, queued := fullSocket(t)
			restore = v.useSocket(t, fd)
			if out := v.fireTerminal(101); out != dropped(KernelQueueFull) {
				t.Fatalf("terminal frame on a full queue: %v", out)
			}
			restore()
			if full.drain() != queued {
				t.Fatal("a failed terminal frame left the process")
			}
			terminal(101)
			v.setTerminalCounter(lastTerminalCounter)
			terminal(102)
			out := v.fireTerminal(103)
			if !out.IsFailed() || !errors.Is(out.Err(), unix.EOVERFLOW) {
				t.Fatalf("terminal frame past the last counter: %v", out)
			}
			beat() // beats go on

			r.expectNothing()
			if len(log.seen) != sentFrames {
				t.Fatalf("%d distinct nonces for %d frames", len(log.seen), sentFrames)
			}
		})
	}
}

// refusedSocket returns a UDP socket connected to a loopback port nothing
// listens on, whose next send fails with ECONNREFUSED: the ICMP reply to
// a datagram it sent is pending on it.
func refusedSocket(t *testing.T) int {
	t.Helper()
	fd, err := openSocket(unix.AF_INET, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: closedUDPPort(t, "127.0.0.1"), Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if err := unix.Send(fd, []byte{0}, 0); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		n, err := unix.Poll(fds, 10_000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			unix.Close(fd)
			t.Fatalf("hung: no ICMP error within 10s (%v)", err)
		}
		return fd
	}
}

// TestSecureNonceNeverRepeatsUnderConcurrentBeats has 8 goroutines beat
// one agent, and a ninth send terminal frames, into a socket pair whose
// small queue makes many sends fail; every frame that got out is opened
// and no (key, nonce) pair comes twice (R6.5, R2.1).
func TestSecureNonceNeverRepeatsUnderConcurrentBeats(t *testing.T) {
	const goroutines, beatsEach, terminals = 8, 50, 20
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			v := dialSecure(t, m, closedUDPPort(t, "127.0.0.1"), key)
			fd, r := socketPair(t)
			v.useSocket(t, fd)

			const total = goroutines*beatsEach + terminals
			frames := make(chan []byte, total)
			go func() { // the observer: read exactly what was sent
				defer close(frames)
				var buf [128]byte
				pfd := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
				for range total {
					for {
						n, err := unix.Read(r.fd, buf[:])
						if err == nil {
							frames <- append([]byte(nil), buf[:n]...)
							break
						}
						if err != unix.EAGAIN {
							t.Errorf("read: %v", err)
							return
						}
						if n, err := unix.Poll(pfd, 10_000); n == 0 && err == nil {
							t.Error("hung: no frame within 10s")
							return
						}
					}
				}
			}()

			var wg sync.WaitGroup
			send := func(what string, n int, try func(i int) BeatOutcome) {
				defer wg.Done()
				for i, sent := 0, 0; sent < n; i++ {
					switch out := try(i); {
					case out.IsSent():
						sent++
					case out == dropped(KernelQueueFull) && i < 10_000_000:
					default:
						t.Errorf("%s %d: %v", what, i, out)
						return
					}
				}
			}
			wg.Add(goroutines + 1)
			for g := range goroutines {
				go send("beat", beatsEach, func(int) BeatOutcome { return v.Beat(StatusOK, uint32(g)) })
			}
			go send("terminal frame", terminals, func(i int) BeatOutcome { return v.fireTerminal(uint64(i)) })
			wg.Wait()

			log := newNonceLog(t, key, m.master)
			pid := uint32(os.Getpid())
			nonces := make(map[uint64]bool)
			n := 0
			for wire := range frames {
				n++
				if f, _ := log.open(wire, pid); f.Nonce != NonceTerminal {
					nonces[f.Nonce] = true
				}
			}
			if n != total {
				t.Fatalf("observer got %d frames, want %d", n, total)
			}
			for i := uint64(1); i <= goroutines*beatsEach; i++ {
				if !nonces[i] {
					t.Fatalf("frame nonce %d never arrived", i)
				}
			}
			r.expectNothing()
		})
	}
}

func TestSecureCloseWipesTheKey(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, testKey(t))
			v.Beat(StatusOK, 0)
			r.recv()
			tr := v.secure()
			key := tr.key.b
			if *key == ([KeyBytes]byte{}) || tr.wire == ([MasterFrameBytes]byte{}) {
				t.Fatal("the transport holds no key or sealed frame before Close")
			}
			if err := v.Close(); err != nil {
				t.Fatal(err)
			}
			if tr.key.b != nil || *key != ([KeyBytes]byte{}) || tr.nonce != ([chacha20poly1305.NonceSize]byte{}) || tr.wire != ([MasterFrameBytes]byte{}) || tr.s != nil || tr.aead != nil {
				t.Fatal("Close left key material, a nonce, a sealed frame or the session behind")
			}
		})
	}
}
