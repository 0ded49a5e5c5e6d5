//go:build secureudp

package varta

// Proves the openers' replay check (SPEC R6.9): every genuine frame is
// accepted once, in any interleaving of sessions; every replay, and every
// frame that arrives after a later one of its session, is refused and
// changes nothing; and the memory forgets what its bounds say, in the
// order they say. The frames are sealed by the package's own sealing
// code.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// opener is what SecureOpener and MasterOpener have in common.
type opener interface {
	Open(wire []byte) (Frame, error)
	Close() error
}

// newOpener returns the opener of mode m for key, closed at cleanup, and
// its replay memory.
func newOpener(t *testing.T, m secureMode, key []byte) (opener, *replayMemory) {
	t.Helper()
	if m.master {
		o, err := NewMasterOpener(key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		return o, &o.seen
	}
	o, err := NewSecureOpener(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o, &o.seen
}

// replayAgent is an agent reduced to its sealing state and the fields of
// its frames: it seals beats and terminal frames with the agent's own
// code, as a process would send them, without a socket.
type replayAgent struct {
	seal   *sealing
	pid    uint32
	nonce  uint64 // of the last beat
	ts     uint64 // of the last beat
	termTS uint64 // of the last terminal frame
}

// sealed is a frame as an agent sent it: the datagram and the frame
// inside.
type sealed struct {
	wire  []byte
	frame Frame
}

// newReplayAgent returns the agent of a process with pid, sealing under
// key as a master key if master is set.
func newReplayAgent(key []byte, master bool, pid uint32) *replayAgent {
	a := &replayAgent{seal: newSealing(key, master)}
	a.newProcess(pid)
	return a
}

// newProcess makes a the agent of a new process with pid, as a process
// that reuses a pid, or a forked child, sets up: a new session (and with a
// master key the key of pid), nonces from 1, a new epoch.
func (a *replayAgent) newProcess(pid uint32) {
	a.seal.restart(pid)
	a.pid, a.nonce, a.ts, a.termTS = pid, 0, 0, 0
}

// fork returns the agent of a child of a's process with pid; a goes on
// with its own session.
func (a *replayAgent) fork(pid uint32) *replayAgent {
	s := *a.seal
	c := &replayAgent{seal: &s}
	c.newProcess(pid)
	return c
}

// beat seals the agent's next beat.
func (a *replayAgent) beat() sealed {
	a.nonce++
	a.ts += 1000
	return a.sealBeat(Frame{Status: StatusOK, PID: a.pid, Timestamp: a.ts, Nonce: a.nonce, Payload: uint32(a.nonce)})
}

// sealBeat seals f as the agent's next beat.
func (a *replayAgent) sealBeat(f Frame) sealed {
	var b [FrameBytes]byte
	f.Encode(&b)
	return sealed{bytes.Clone(a.seal.beat(&b)), f}
}

// terminal seals a terminal frame, later than the last beat and than the
// previous terminal frame (R7.1).
func (a *replayAgent) terminal() sealed {
	a.termTS = max(a.ts, a.termTS+1)
	f := Frame{Status: StatusCritical, PID: a.pid, Timestamp: a.termTS, Nonce: NonceTerminal}
	var b [FrameBytes]byte
	f.Encode(&b)
	w, refused := a.seal.terminal(&b)
	if refused.IsFailed() {
		panic(refused.Err())
	}
	return sealed{bytes.Clone(w), f}
}

// nearPrefixEnd moves the agent's session to the last two counters of its
// IV prefix: the third beat from now rotates to the next prefix.
func (a *replayAgent) nearPrefixEnd() { a.seal.s.skipTo(lastCounter - 1) }

// ivOf returns the IV prefix and counter a frame was sealed under.
func ivOf(w []byte) iv {
	nonce := w[sharedNonce:]
	if len(w) == MasterFrameBytes {
		nonce = w[masterNonce:]
	}
	return iv{[prefixBytes]byte(nonce), binary.LittleEndian.Uint32(nonce[counterAt:])}
}

// expectReplay opens w, which must be refused with ErrReplay and leave the
// memory as it was.
func expectReplay(t *testing.T, o opener, m *replayMemory, w []byte, what string) {
	t.Helper()
	before := m.snapshot()
	if f, err := o.Open(w); !errors.Is(err, ErrReplay) || f != (Frame{}) {
		t.Fatalf("%s: got %+v, %v; want ErrReplay", what, f, err)
	}
	if after := m.snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("%s: the refused frame changed the replay memory", what)
	}
}

// expectAccepted opens s.wire, which must give s.frame.
func expectAccepted(t *testing.T, o opener, s sealed, what string) {
	t.Helper()
	if f, err := o.Open(s.wire); err != nil || f != s.frame {
		t.Fatalf("%s: got %+v, %v; want %+v", what, f, err, s.frame)
	}
}

// TestOpenersRefuseAReplayedSession records 5 beats of a real agent over
// loopback, and delivers them to each opener: once, each is accepted; a
// replay of the recording, in order or backwards, is refused frame by
// frame and changes nothing, and the agent's next beat is accepted.
func TestOpenersRefuseAReplayedSession(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			var session [][]byte
			for range 5 {
				if out := v.Beat(StatusOK, 7); !out.IsSent() {
					t.Fatal(out)
				}
				session = append(session, r.recv())
			}
			o, mem := newOpener(t, m, key)
			for i, w := range session {
				if f, err := o.Open(w); err != nil || f.Nonce != uint64(i+1) {
					t.Fatalf("beat %d delivered once: %+v, %v", i+1, f, err)
				}
			}
			for i, w := range session {
				expectReplay(t, o, mem, w, "replayed beat "+strconv.Itoa(i+1))
			}
			for i := len(session) - 1; i >= 0; i-- {
				expectReplay(t, o, mem, session[i], "beat "+strconv.Itoa(i+1)+", replayed backwards")
			}
			v.Beat(StatusOK, 7)
			if f, err := o.Open(r.recv()); err != nil || f.Nonce != 6 {
				t.Fatalf("the beat after the replays: %+v, %v", f, err)
			}
		})
	}
}

// TestReplayErrorsSayWhy checks the words of both kinds of replay, and
// that no key shows in them.
func TestReplayErrorsSayWhy(t *testing.T) {
	key := testKey(t)
	a := newReplayAgent(key, false, 4242)
	o, _ := newOpener(t, secureModes[0], key)
	first := a.beat()
	expectAccepted(t, o, first, "first beat")
	_, err := o.Open(first.wire)
	if want := "varta: secure frame refused as a replay: pid 4242: counter 0 under an IV prefix already seen up to counter 0"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("replay: %v, want %q...", err, want)
	}
	again := a.sealBeat(first.frame)
	_, err = o.Open(again.wire)
	if want := "pid 4242: a beat with nonce 1, which starts a new agent, under an IV prefix already seen"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("nonce 1 again: %v, want %q", err, want)
	}
	if err != nil && leaked(err.Error(), [][]byte{key}) {
		t.Errorf("the error shows the key: %v", err)
	}
}

// TestOpenersRefuseAFrameThatArrivesAfterALaterOne delivers beats of one
// session out of order: a lower counter under a prefix after a higher one
// is refused, which is what a reordering network costs (R6.9), while the
// beats of another prefix, or of another pid, are not held up by it.
func TestOpenersRefuseAFrameThatArrivesAfterALaterOne(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			a := newReplayAgent(key, m.master, 500)
			b := newReplayAgent(key, m.master, 501)
			o, mem := newOpener(t, m, key)
			b1, a1, a2, a3 := b.beat(), a.beat(), a.beat(), a.beat()
			expectAccepted(t, o, a1, "beat 1")
			expectAccepted(t, o, a3, "beat 3")
			expectReplay(t, o, mem, a2.wire, "beat 2 after beat 3")
			expectAccepted(t, o, b1, "another pid's beat 1")
			a.newProcess(500)
			expectAccepted(t, o, a.beat(), "a new process's beat 1")
		})
	}
}

// TestOpenersRefuseANewAgentsFirstBeatUnderAKnownPrefix seals the first
// beat of an agent twice, as an agent does when the first send is
// reported failed but the datagram left the host (R6.4): nonce 1 again,
// under the same prefix with the next counter. Only a new agent sends
// nonce 1, and a new agent seals under a new prefix, so the second is
// refused.
func TestOpenersRefuseANewAgentsFirstBeatUnderAKnownPrefix(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			a := newReplayAgent(key, m.master, 600)
			o, mem := newOpener(t, m, key)
			first := a.beat()
			again := a.sealBeat(first.frame)
			if ivOf(again.wire).counter != ivOf(first.wire).counter+1 {
				t.Fatal("the second seal did not take the next counter")
			}
			expectAccepted(t, o, first, "first beat")
			expectReplay(t, o, mem, again.wire, "nonce 1 again under the same prefix")
			a.nonce = 1
			expectAccepted(t, o, a.beat(), "beat 2")
		})
	}
}

// TestOpenersForgetTheLeastRecentlyUsedPID has beats of replayPIDs+1 pids
// arrive, the first pid's twice: the pid whose last accepted frame is
// the oldest is forgotten, and only then. A replay of a forgotten pid's
// frames is accepted once, as a new session, and then refused again.
func TestOpenersForgetTheLeastRecentlyUsedPID(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			o, mem := newOpener(t, m, key)
			first := newReplayAgent(key, m.master, 2)
			f1 := first.beat()
			expectAccepted(t, o, f1, "pid 2, beat 1")
			var second sealed // the beat of the pid that will be the oldest
			for pid := uint32(3); pid < 3+replayPIDs; pid++ {
				s := newReplayAgent(key, m.master, pid).beat()
				expectAccepted(t, o, s, "first beat of pid "+strconv.Itoa(int(pid)))
				if pid == 3 {
					second = s
					expectAccepted(t, o, first.beat(), "pid 2, beat 2")
				}
				if len(mem.pids) > replayPIDs {
					t.Fatalf("%d pids remembered, want at most %d", len(mem.pids), replayPIDs)
				}
			}
			expectReplay(t, o, mem, f1.wire, "pid 2 was used more recently than pid 3 and is remembered")
			if _, ok := mem.pids[3]; ok || len(mem.pids) != replayPIDs {
				t.Fatalf("pid 3 remembered: %v; %d pids, want %d", ok, len(mem.pids), replayPIDs)
			}
			expectAccepted(t, o, second, "the forgotten pid 3's beat, replayed once")
			expectReplay(t, o, mem, second.wire, "pid 3's beat, replayed twice")
		})
	}
}

// TestReplaysInTurnPassOnlyBeyondTheBound pins the limit "Replays" in the
// package documentation states: frames of as many sessions of one pid as
// an opener remembers prefixes, replayed in turn, are refused every time;
// with one session more, each replayed session pushes out the one to be
// replayed next, and every frame is accepted, round after round. The
// bound decides how many recordings the attack takes, not how long it
// lasts.
func TestReplaysInTurnPassOnlyBeyondTheBound(t *testing.T) {
	for _, m := range secureModes {
		for _, sessions := range []int{pidPrefixes, pidPrefixes + 1} {
			t.Run(m.name+"/"+strconv.Itoa(sessions)+" sessions", func(t *testing.T) {
				key := testKey(t)
				o, _ := newOpener(t, m, key)
				a := newReplayAgent(key, m.master, 7)
				var recorded []sealed
				for range sessions {
					a.newProcess(7) // a restart that keeps the pid number
					s := a.beat()
					expectAccepted(t, o, s, "a genuine first beat")
					recorded = append(recorded, s)
				}
				accepted := 0
				for range 3 {
					for _, s := range recorded {
						if _, err := o.Open(s.wire); err == nil {
							accepted++
						} else if !errors.Is(err, ErrReplay) {
							t.Fatal(err)
						}
					}
				}
				want := 0
				if sessions > pidPrefixes {
					want = 3 * sessions
				}
				if accepted != want {
					t.Errorf("%d of %d replayed frames accepted, want %d", accepted, 3*sessions, want)
				}
			})
		}
	}
}

// TestTerminalFramesNeverPushABeatPrefixOut gives one pid more terminal
// frames, and more sessions, than it remembers prefixes of either kind.
// Terminal frames push out only the oldest terminal prefix, never a beat
// prefix; a new session pushes out only the oldest beat prefix. What is
// forgotten is accepted once more, as a new session, and nothing else.
func TestTerminalFramesNeverPushABeatPrefixOut(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			o, mem := newOpener(t, m, key)
			a := newReplayAgent(key, m.master, 700)
			beat := a.beat()
			expectAccepted(t, o, beat, "beat")
			var terminals []sealed
			for i := range 2 * pidPrefixes {
				terminals = append(terminals, a.terminal())
				expectAccepted(t, o, terminals[i], "terminal frame "+strconv.Itoa(i))
			}
			expectReplay(t, o, mem, beat.wire, "the beat, after many terminal frames")
			for i, s := range terminals[pidPrefixes:] {
				expectReplay(t, o, mem, s.wire, "a remembered terminal frame "+strconv.Itoa(pidPrefixes+i))
			}
			expectAccepted(t, o, terminals[pidPrefixes-1], "the newest forgotten terminal frame, replayed once")
			expectReplay(t, o, mem, terminals[pidPrefixes-1].wire, "the same, replayed twice")

			sessions := []sealed{beat}
			for range pidPrefixes {
				a.newProcess(700)
				sessions = append(sessions, a.beat())
				expectAccepted(t, o, sessions[len(sessions)-1], "a new process's beat")
			}
			for i, s := range sessions[1:] {
				expectReplay(t, o, mem, s.wire, "a remembered session's beat "+strconv.Itoa(i+1))
			}
			expectAccepted(t, o, beat, "the oldest session's beat, forgotten, replayed once")
			expectReplay(t, o, mem, beat.wire, "the same, replayed twice")
		})
	}
}

// TestOpenersAcceptEachGenuineFrameOnceAndRefuseReplays is the property
// of R6.9, checked over random interleavings (seeds 1 to 40, logged on
// failure). Agents of several pids beat, send terminal frames, rotate to
// their next IV prefix at the end of the counter range, fork (a new pid
// and session) and are replaced by new processes with the same pid (a new
// session), within the bounds of the memory. Every genuine frame
// delivered in the order sent is accepted, once; a frame held back and
// delivered after a later frame of its prefix is refused; and replays of
// any frame delivered before, in random order among the genuine ones, are
// refused and change nothing.
func TestOpenersAcceptEachGenuineFrameOnceAndRefuseReplays(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 40; seed++ {
				checkReplayProperty(t, m, seed)
			}
		})
	}
}

// checkReplayProperty runs one interleaving drawn from seed.
func checkReplayProperty(t *testing.T, m secureMode, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	key := testKey(t)
	o, mem := newOpener(t, m, key)
	sent := sessionsFrom(rng, key, m.master)

	type session struct {
		pid    uint32
		prefix [prefixBytes]byte
	}
	highest := map[session]uint32{} // what the rule says the opener has seen
	var delivered [][]byte
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: "+format, append([]any{seed}, args...)...)
	}
	deliver := func(s sealed, inOrder bool) {
		t.Helper()
		at := ivOf(s.wire)
		key := session{s.frame.PID, at.prefix}
		top, seen := highest[key]
		fresh := !seen || at.counter > top && s.frame.Nonce != 1
		if inOrder && !fresh {
			fail("frame %+v delivered in order, but the rule calls it a replay: the generator is wrong", s.frame)
		}
		if fresh {
			f, err := o.Open(s.wire)
			if err != nil || f != s.frame {
				fail("genuine frame %+v (in order: %v): got %+v, %v", s.frame, inOrder, f, err)
			}
			highest[key] = at.counter
		} else {
			before := mem.snapshot()
			if f, err := o.Open(s.wire); !errors.Is(err, ErrReplay) || f != (Frame{}) {
				fail("frame %+v delivered after a later one of its prefix: got %+v, %v; want ErrReplay", s.frame, f, err)
			}
			if !reflect.DeepEqual(before, mem.snapshot()) {
				fail("a refused frame changed the replay memory")
			}
		}
		delivered = append(delivered, s.wire)
	}
	for i := 0; i < len(sent); i++ {
		for len(delivered) > 0 && rng.IntN(4) == 0 {
			w := delivered[rng.IntN(len(delivered))]
			before := mem.snapshot()
			if f, err := o.Open(w); !errors.Is(err, ErrReplay) || f != (Frame{}) {
				fail("replay of %x: got %+v, %v; want ErrReplay", w, f, err)
			}
			if !reflect.DeepEqual(before, mem.snapshot()) {
				fail("a replay changed the replay memory")
			}
		}
		if i+1 < len(sent) && rng.IntN(8) == 0 {
			deliver(sent[i+1], true)
			deliver(sent[i], false)
			i++
			continue
		}
		deliver(sent[i], true)
	}
}

// sessionsFrom returns what agents sealed, in the order sent, in a run of
// events drawn from rng. No pid uses more beat prefixes, or sends more
// terminal frames, than the memory keeps for it, and there are far fewer
// pids than it keeps, so nothing is forgotten.
func sessionsFrom(rng *rand.Rand, key []byte, master bool) []sealed {
	nextPID := uint32(1000)
	newPID := func() uint32 { nextPID++; return nextPID }
	agents := []*replayAgent{newReplayAgent(key, master, newPID()), newReplayAgent(key, master, newPID())}
	prefixes := map[uint32]int{} // beat prefixes each pid has used, or will use once it rotates
	terminals := map[uint32]int{}
	for _, a := range agents {
		prefixes[a.pid] = 1
	}
	var sent []sealed
	for range 120 {
		a := agents[rng.IntN(len(agents))]
		switch n := rng.IntN(100); {
		case n < 8 && terminals[a.pid] < pidPrefixes:
			terminals[a.pid]++
			sent = append(sent, a.terminal())
		case n < 12 && prefixes[a.pid] < pidPrefixes:
			prefixes[a.pid]++
			a.newProcess(a.pid)
		case n < 16 && len(agents) < 6:
			c := a.fork(newPID())
			prefixes[c.pid] = 1
			agents = append(agents, c)
		case n < 20 && prefixes[a.pid] < pidPrefixes && a.seal.s.counter < lastCounter-1:
			prefixes[a.pid]++
			a.nearPrefixEnd()
		default:
			sent = append(sent, a.beat())
		}
	}
	return sent
}

// TestOpenersAreSafeForConcurrentUse has goroutines deliver the same
// beats of many pids, forged frames among them, to one opener, while a
// last goroutine closes it (run with -race): each beat is accepted at most
// once, every other delivery of it is refused as a replay, forged frames
// fail authentication, and once closed every call says so.
func TestOpenersAreSafeForConcurrentUse(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			var beats []sealed
			for pid := uint32(2); pid < 2+64; pid++ {
				beats = append(beats, newReplayAgent(key, m.master, pid).beat())
			}
			for _, closing := range []bool{false, true} {
				o, _ := newOpener(t, m, key)
				accepted := make([]atomic.Int32, len(beats))
				var wg sync.WaitGroup
				for g := range 4 {
					wg.Go(func() {
						for i := range 4 * len(beats) {
							k := (i*7 + g) % len(beats)
							w := beats[k].wire
							forged := i%5 == 0
							if forged {
								w = bytes.Clone(w)
								w[len(w)-1] ^= 1
							}
							f, err := o.Open(w)
							switch {
							case errors.Is(err, ErrClosed) && closing:
							case forged && !errors.Is(err, ErrAuthentication):
								t.Errorf("forged frame: %+v, %v", f, err)
							case !forged && err == nil && f == beats[k].frame:
								accepted[k].Add(1)
							case !forged && !errors.Is(err, ErrReplay):
								t.Errorf("beat of pid %d: %+v, %v", beats[k].frame.PID, f, err)
							}
						}
					})
				}
				if closing {
					wg.Go(func() { o.Close() })
				}
				wg.Wait()
				for k := range accepted {
					if n := accepted[k].Load(); n > 1 || n == 0 && !closing {
						t.Fatalf("closing %v: beat of pid %d accepted %d times", closing, beats[k].frame.PID, n)
					}
				}
			}
		})
	}
}

// TestReplayMemoryStaysWithinItsBound has beats of twice as many pids as
// an opener remembers, each pid with more sessions and terminal frames
// than it keeps prefixes of, arrive: the opener remembers replayPIDs pids,
// at most pidPrefixes prefixes of each kind for each, and holds under
// 1 MiB of the heap for it all, ciphers included, as the package
// documentation says.
func TestReplayMemoryStaysWithinItsBound(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			var frames [][]byte
			for pid := uint32(2); pid < 2+2*replayPIDs; pid++ {
				a := newReplayAgent(key, m.master, pid)
				if pid < 2+replayPIDs {
					frames = append(frames, a.beat().wire)
					continue
				}
				for range pidPrefixes + 1 {
					a.newProcess(pid)
					frames = append(frames, a.beat().wire, a.terminal().wire)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			o, mem := newOpener(t, m, key)
			for _, w := range frames {
				if _, err := o.Open(w); err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(frames)
			held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			t.Logf("%d pids remembered in %d bytes, %d a pid", len(mem.pids), held, held/int64(len(mem.pids)))
			if len(mem.pids) != replayPIDs {
				t.Errorf("%d pids remembered, want %d", len(mem.pids), replayPIDs)
			}
			for _, e := range mem.snapshot() {
				if e.beats.n > pidPrefixes || e.terminals.n > pidPrefixes || e.beats.n+e.terminals.n == 0 {
					t.Fatalf("pid %d: %d beat and %d terminal prefixes", e.pid, e.beats.n, e.terminals.n)
				}
			}
			if held > 1<<20 {
				t.Errorf("the opener holds %d bytes, want under 1 MiB", held)
			}
			runtime.KeepAlive(o)
		})
	}
}
