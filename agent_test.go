package varta

// Tests of the agent over a Unix socket: every frame of a stream is valid
// to an observer, nonces stay consecutive under concurrency and across
// wraps, drops commit nothing, and forks, clock regressions, full queues,
// dead or restarted observers and Close are all survived without blocking
// or panicking.

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestObserverAcceptsEveryFrameOfAStream(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	s := newStream(t)
	statuses := []Status{StatusOK, StatusDegraded, StatusCritical}
	for i := range 50 {
		status, payload := statuses[i%3], uint32(i*7919)
		if out := v.Beat(status, payload); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		o := s.accept(r.recv())
		if Status(o.status) != status || o.payload != payload {
			t.Fatalf("beat %d carried status %d payload %d, want %v %d", i, o.status, o.payload, status, payload)
		}
	}
	if got := v.Stats(); got.Sent != 50 || got.Dropped() != 0 || got.Failed != 0 {
		t.Fatalf("Stats = %+v, want 50 sent", got)
	}
}

func TestBeatRefusesStallAndUnknownStatusWithoutSending(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	for _, status := range []Status{StatusStall, 4, 255} {
		out := v.Beat(status, 1)
		if !out.IsFailed() || !errors.Is(out.Err(), syscall.EINVAL) {
			t.Fatalf("Beat(%v) = %v, want Failed(EINVAL)", status, out)
		}
	}
	r.expectNothing()
	if got := v.Stats(); got != (Stats{}) {
		t.Fatalf("refused beats moved counters: %+v", got)
	}
	v.Beat(StatusOK, 0)
	if o, _ := observe(r.recv()); o.nonce != 1 {
		t.Fatalf("first beat after refusals has nonce %d, want 1", o.nonce)
	}
}

// TestForkRecoveryReconnectsAndRestartsSequence simulates what a beat sees
// after fork: a pid that differs from the one captured at connect and, in
// ForkCheckMark mode, a cleared mark (R3.2).
func TestForkRecoveryReconnectsAndRestartsSequence(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		expectForkCheck(t, v, mode)
		for range 3 {
			v.Beat(StatusOK, 0)
			r.recv()
		}
		child := os.Getpid() + 1000
		v.setPIDSource(func() int { return child })
		if out := v.Beat(StatusDegraded, 9); !out.IsSent() {
			t.Fatalf("first beat in the child: %v", out)
		}
		o, err := observe(r.recv())
		if err != nil {
			t.Fatal(err)
		}
		if o.pid != uint32(child) || o.nonce != 1 {
			t.Fatalf("child's first frame has pid %d nonce %d, want %d and 1", o.pid, o.nonce, child)
		}
		if o.timestamp > uint64(time.Minute) {
			t.Fatalf("child's timestamp %d does not count from a fresh epoch", o.timestamp)
		}
		if got := v.ForkRecoveries(); got != 1 {
			t.Fatalf("ForkRecoveries = %d, want 1", got)
		}
		v.Beat(StatusOK, 0)
		if o, _ := observe(r.recv()); o.nonce != 2 || o.pid != uint32(child) {
			t.Fatalf("second child frame: pid %d nonce %d", o.pid, o.nonce)
		}
	})
}

func TestForkRecoveryFailsWithoutSendingWhenObserverIsUnreachable(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		r := listen(t)
		v := connectTo(t, r)
		expectForkCheck(t, v, mode)
		v.Beat(StatusOK, 0)
		r.recv()
		r.close()
		os.Remove(r.path)
		v.setPIDSource(func() int { return os.Getpid() + 1 })

		for range 2 { // the failed recovery is tried again at the next beat
			out := v.Beat(StatusOK, 0)
			if !out.IsFailed() || !errors.Is(out.Err(), syscall.ENOENT) {
				t.Fatalf("beat after fork with no observer = %v, want Failed(ENOENT)", out)
			}
		}
		if got := v.Stats(); got.ForkRecoveries != 0 || got.Failed != 2 {
			t.Fatalf("Stats = %+v, want 2 failed and no recovery", got)
		}

		r = listenAt(t, r.path)
		if out := v.Beat(StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat once the observer is back: %v", out)
		}
		if o, _ := observe(r.recv()); o.nonce != 1 || o.pid != uint32(os.Getpid()+1) {
			t.Fatalf("recovered frame: pid %d nonce %d", o.pid, o.nonce)
		}
	})
}

func TestNonceWrapsPastTerminalToZeroAndWarnsOnce(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.setCommittedNonce(NonceTerminal - 2)

	stderr := captureStderr(t)
	var nonces []uint64
	for range 3 {
		if out := v.Beat(StatusOK, 0); !out.IsSent() {
			t.Fatal(out)
		}
		o, err := observe(r.recv())
		if err != nil {
			t.Fatal(err)
		}
		nonces = append(nonces, o.nonce)
	}
	want := []uint64{NonceTerminal - 1, 0, 1}
	for i := range want {
		if nonces[i] != want[i] {
			t.Fatalf("nonces %v, want %v", nonces, want)
		}
	}
	if got := stderr(); got != string(wrapWarning) {
		t.Fatalf("stderr = %q, want the warning once", got)
	}
}

func TestNonceWrapWarnsOnlyWhenTheWrappedBeatIsSent(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	fillQueue(t, v)
	v.setCommittedNonce(NonceTerminal - 1)

	stderr := captureStderr(t)
	dropped := v.Beat(StatusOK, 0)
	r.drain()
	sentOut := v.Beat(StatusOK, 0)
	got := stderr()
	if !dropped.IsDropped() || !sentOut.IsSent() {
		t.Fatalf("beats = %v, %v; want dropped, then sent", dropped, sentOut)
	}
	if o, _ := observe(r.recv()); o.nonce != 0 {
		t.Fatalf("the wrapped beat carries nonce %d, want 0", o.nonce)
	}
	if got != string(wrapWarning) {
		t.Fatalf("stderr = %q, want the warning once, for the sent beat", got)
	}
}

// captureStderr redirects os.Stderr to a pipe until the returned function
// is called; it returns what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = pw
	return func() string {
		os.Stderr = saved
		pw.Close()
		b, _ := io.ReadAll(pr)
		pr.Close()
		return string(b)
	}
}

func TestClockRegressionResendsLastTimestamp(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	base := time.Now()
	clock := base.Add(time.Second)
	v.setClock(func() time.Time { return clock })
	v.Beat(StatusOK, 0)
	first, _ := observe(r.recv())

	clock = base.Add(-time.Hour) // the clock jumps back
	v.Beat(StatusOK, 0)
	second, _ := observe(r.recv())
	if second.timestamp != first.timestamp {
		t.Fatalf("timestamp after regression %d, want the last one %d", second.timestamp, first.timestamp)
	}
	if got := v.ClockRegressions(); got != 1 {
		t.Fatalf("ClockRegressions = %d, want 1", got)
	}

	clock = base.Add(2 * time.Second)
	v.Beat(StatusOK, 0)
	if third, _ := observe(r.recv()); third.timestamp <= first.timestamp {
		t.Fatalf("timestamp did not advance with the clock: %d", third.timestamp)
	}
}

// TestDroppedBeatsCommitNothing checks R3.6: a beat that is not sent
// leaves neither a nonce gap nor a timestamp behind.
func TestDroppedBeatsCommitNothing(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	s := newStream(t)
	v.Beat(StatusOK, 0)
	s.accept(r.recv())

	path := r.path
	r.close()
	for range 5 {
		if out := v.Beat(StatusOK, 0); !out.IsDropped() {
			t.Fatalf("beat with the observer gone = %v, want Dropped", out)
		}
	}
	r = listenAt(t, path)
	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	v.Beat(StatusOK, 0)
	if o := s.accept(r.recv()); o.nonce != 2 {
		t.Fatalf("nonce after 5 drops = %d, want 2", o.nonce)
	}
	if got := v.Stats(); got.Sent != 2 || got.Dropped() != 5 || got.Reconnects != 1 {
		t.Fatalf("Stats = %+v, want 2 sent, 5 dropped, 1 reconnect", got)
	}
}

func TestAutoReconnectFindsObserverRestartedOnSamePath(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.SetReconnectAfter(1)
	s := newStream(t)
	v.Beat(StatusOK, 0)
	s.accept(r.recv())

	path := r.path
	r.close()
	r = listenAt(t, path) // the observer restarts: a new socket on the same path

	if out := v.Beat(StatusOK, 42); !out.IsSent() {
		t.Fatalf("beat to the restarted observer = %v, want Sent after reconnect", out)
	}
	if o := s.accept(r.recv()); o.payload != 42 {
		t.Fatalf("resent frame carries payload %d, want 42", o.payload)
	}
	if got := v.Stats(); got.Reconnects != 1 || got.Sent != 2 || got.Dropped() != 0 {
		t.Fatalf("Stats = %+v, want 2 sent, 1 reconnect, the dropped first try not counted", got)
	}
}

// TestObserverRestartedFiveTimesHealsByDefault restarts the observer 5
// times under a beating agent left at its default settings: the observer
// is killed (its socket file stays behind) or shuts down (the file is
// removed), is down for zero, one or two beats, and binds the path again.
// The first beat after each restart is Sent and arrives, and the observer
// sees every nonce in order with no gap (R3.7). The beats come one
// reconnect spacing apart, as at a cadence of 50 ms or more (R3.9).
func TestObserverRestartedFiveTimesHealsByDefault(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.tickClock()
	s := newStream(t)
	path := r.path
	payload := uint32(0)
	beatArrives := func() {
		t.Helper()
		payload++
		if out := v.Beat(StatusOK, payload); !out.IsSent() {
			t.Fatalf("beat %d = %v, want Sent", payload, out)
		}
		if o := s.accept(r.recv()); o.payload != payload {
			t.Fatalf("frame carries payload %d, want %d", o.payload, payload)
		}
	}
	var down uint64
	for restart := range 5 {
		for range 3 {
			beatArrives()
		}
		r.close()
		if restart%2 == 1 {
			os.Remove(path)
		}
		for range restart % 3 {
			if out := v.Beat(StatusOK, 0); !out.IsDropped() {
				t.Fatalf("restart %d: beat with the observer down = %v, want Dropped", restart, out)
			}
			down++
		}
		r = listenAt(t, path)
		beatArrives() // the first beat after the restart
	}
	st := v.Stats()
	if st.Sent != uint64(payload) || st.Dropped() != down || st.Reconnects != 5 || st.Failed != 0 {
		t.Fatalf("Stats = %+v, want %d sent, %d dropped, 5 reconnects", st, payload, down)
	}
}

// TestWithSelfHealingOffARestartedObserverIsNotFound turns self-healing
// off and restarts the observer on the same path: the agent's socket still
// points at the dead one, so beats are dropped (the first send learns the
// peer is gone, later ones find the socket disconnected) until Reconnect.
func TestWithSelfHealingOffARestartedObserverIsNotFound(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.SetReconnectAfter(0)
	s := newStream(t)
	v.Beat(StatusOK, 0)
	s.accept(r.recv())
	path := r.path
	r.close()
	r = listenAt(t, path)
	for _, want := range []string{"dropped: no observer", "dropped: peer gone", "dropped: peer gone"} {
		if out := v.Beat(StatusOK, 0); out.String() != want {
			t.Fatalf("beat = %v, want %s: the socket still points at the dead observer", out, want)
		}
	}
	r.expectNothing()

	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if out := v.Beat(StatusOK, 7); !out.IsSent() {
		t.Fatalf("beat after Reconnect = %v, want Sent", out)
	}
	if o := s.accept(r.recv()); o.payload != 7 {
		t.Fatalf("frame after Reconnect carries payload %d, want 7", o.payload)
	}
	want := Stats{Sent: 2, DroppedNoObserver: 1, DroppedPeerGone: 2, Reconnects: 1}
	if got := v.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

// TestAutoReconnectCountsConsecutiveDrops checks the counting rules of
// R3.7 against an observer that is absent and then comes back, with beats
// one reconnect spacing apart (R3.9).
func TestAutoReconnectCountsConsecutiveDrops(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	v.tickClock()
	path := r.path
	r.close()
	os.Remove(path)

	v.SetReconnectAfter(3)
	beat := func(want string) {
		t.Helper()
		if out := v.Beat(StatusOK, 0); out.String() != want {
			t.Fatalf("beat = %v, want %s", out, want)
		}
	}
	beat("dropped: no observer")
	beat("dropped: peer gone")
	beat("dropped: no observer") // third drop: the reconnect finds nobody (R3.9)
	if got := v.Stats().Reconnects; got != 0 {
		t.Fatalf("Reconnects = %d with no observer", got)
	}

	r = listenAt(t, path)
	beat("sent") // fourth drop: the next drop tries again, and succeeds
	if got := v.Stats().Reconnects; got != 1 {
		t.Fatalf("Reconnects = %d, want 1", got)
	}

	// Sent reset the count: two more drops do not reconnect ...
	r.close()
	beat("dropped: no observer")
	beat("dropped: peer gone")
	// ... and SetReconnectAfter resets it too.
	v.SetReconnectAfter(3)
	r = listenAt(t, path)
	beat("dropped: peer gone")
	beat("dropped: peer gone")
	beat("sent")
	if got := v.Stats().Reconnects; got != 2 {
		t.Fatalf("Reconnects = %d, want 2", got)
	}
	r.recv()
}

// TestExplicitReconnectStartsTheRunOfDropsAfresh: with n = 2, one counting
// drop, then a Reconnect the program asks for, then one more counting drop
// makes no reconnect by itself; a second one after the Reconnect does.
func TestExplicitReconnectStartsTheRunOfDropsAfresh(t *testing.T) {
	tr := countingTransport{refusal: dropped(PeerGone), confirms: true, reconnectOK: true}
	v := tr.agent(t)
	v.SetReconnectAfter(2)
	dials := func(want int, when string) {
		t.Helper()
		if tr.reconnects != want {
			t.Fatalf("%s: %d dials, want %d", when, tr.reconnects, want)
		}
	}
	v.Beat(StatusOK, 0)
	dials(0, "after one counting drop")
	if err := v.Reconnect(); err != nil {
		t.Fatal(err)
	}
	dials(1, "after Reconnect")
	v.Beat(StatusOK, 0)
	dials(1, "after one counting drop since Reconnect")
	v.Beat(StatusOK, 0)
	dials(2, "after two counting drops since Reconnect")
}

// TestBeatRefusedForItsStatusLeavesTheRunOfDrops: with n = 2, a counting
// drop, then beats refused for their status (StatusStall, an unknown
// status), which send nothing, then a second counting drop completes the
// run and reconnects, which finds nobody (R3.9).
func TestBeatRefusedForItsStatusLeavesTheRunOfDrops(t *testing.T) {
	tr := countingTransport{refusal: dropped(PeerGone), confirms: true}
	v := tr.agent(t)
	v.SetReconnectAfter(2)
	v.Beat(StatusOK, 0)
	for _, status := range []Status{StatusStall, 4} {
		if out := v.Beat(status, 0); !out.IsFailed() {
			t.Fatalf("Beat(%v) = %v, want Failed", status, out)
		}
	}
	if tr.sends != 1 || tr.reconnects != 0 {
		t.Fatalf("%d sends and %d dials before the second counting drop, want 1 and 0", tr.sends, tr.reconnects)
	}
	if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
		t.Fatalf("second counting drop: %v, want dropped: no observer", out)
	}
	if tr.reconnects != 1 {
		t.Fatalf("%d dials after the second counting drop, want 1: the refused beats restarted the run", tr.reconnects)
	}
}

// TestBeatNeverBlocksWhenReceiverQueueIsFull beats 10,000 times into an
// observer that never reads. A blocking send would hang here; the hang
// guard fails the test instead of waiting forever.
func TestBeatNeverBlocksWhenReceiverQueueIsFull(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	type result struct {
		sent, full int
		bad        BeatOutcome
	}
	done := make(chan result, 1)
	go func() {
		var res result
		for i := range 10_000 {
			out := v.Beat(StatusOK, uint32(i))
			switch {
			case out.IsSent() && res.full == 0:
				res.sent++
			case out.DropReason() == KernelQueueFull:
				res.full++
			default:
				res.bad = out
				done <- res
				return
			}
		}
		done <- res
	}()
	select {
	case got := <-done:
		if got.bad != (BeatOutcome{}) {
			t.Fatalf("after %d sent and %d dropped a beat returned %v", got.sent, got.full, got.bad)
		}
		if got.sent == 0 || got.sent+got.full != 10_000 {
			t.Fatalf("%d sent then %d dropped, want some sent then all Dropped(KernelQueueFull)", got.sent, got.full)
		}
		if n := r.drain(); n != got.sent {
			t.Fatalf("observer holds %d frames, agent reported %d sent", n, got.sent)
		}
		want := Stats{Sent: uint64(got.sent), DroppedKernelQueueFull: uint64(got.full)}
		if st := v.Stats(); st != want {
			t.Fatalf("Stats = %+v, want %+v", st, want)
		}
		// The observer has caught up: the next beat gets through and
		// continues the sequence the drops left untouched.
		if out := v.Beat(StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat after the observer drained = %v, want Sent", out)
		}
		if o, err := observe(r.recv()); err != nil || o.nonce != uint64(got.sent)+1 {
			t.Fatalf("frame after the stall: nonce %d (%v), want %d", o.nonce, err, got.sent+1)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Beat hung on a full receiver queue")
	}
}

// TestConcurrentBeatsGiveConsecutiveNonces shares one agent between 8
// goroutines; the observer must see nonces 1..N in order, each once.
func TestConcurrentBeatsGiveConsecutiveNonces(t *testing.T) {
	const goroutines, each = 8, 250
	r := listen(t)
	v := connectTo(t, r)

	received := make(chan error, 1)
	go func() {
		s := stream{t: t, pid: uint32(os.Getpid())}
		for range goroutines * each {
			b, err := r.next()
			if err != nil {
				received <- err
				return
			}
			o, err := observe(b)
			if err == nil && o.nonce != s.nonce+1 {
				err = errors.New("nonce gap or repeat")
			}
			if err != nil {
				received <- err
				return
			}
			s.nonce = o.nonce
		}
		received <- nil
	}()

	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				for { // a dropped beat commits nothing: beat again until Sent
					out := v.Beat(StatusOK, 0)
					if out.IsSent() {
						break
					}
					if out.DropReason() != KernelQueueFull {
						t.Errorf("beat = %v", out)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if err := <-received; err != nil {
		t.Fatal(err)
	}
	if got := v.Stats().Sent; got != goroutines*each {
		t.Fatalf("Stats.Sent = %d, want %d", got, goroutines*each)
	}
}

func TestClosedAgentFailsEveryCallWithoutPanicking(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	var nilAgent *Varta
	for name, agent := range map[string]*Varta{"closed": v, "nil": nilAgent} {
		out := agent.Beat(StatusOK, 0)
		if !out.IsFailed() || !errors.Is(out.Err(), ErrClosed) || !errors.Is(out.Err(), syscall.EBADF) {
			t.Errorf("%s agent: Beat = %v, want Failed matching ErrClosed and EBADF", name, out)
		}
		if err := agent.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s agent: Close = %v, want ErrClosed", name, err)
		}
		if err := agent.Reconnect(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s agent: Reconnect = %v, want ErrClosed", name, err)
		}
		agent.SetReconnectAfter(1)
		agent.Stats()
	}
	r.expectNothing()
	if got := v.Stats().Failed; got != 1 {
		t.Fatalf("Stats.Failed = %d, want 1", got)
	}
}

// TestCloseWhileBeatingConcurrently closes an agent that 8 goroutines are
// beating on (closeWhileBeating), and checks that every beat reported Sent
// is queued at the observer.
func TestCloseWhileBeatingConcurrently(t *testing.T) {
	r := listen(t)
	v := connectTo(t, r)
	sum := closeWhileBeating(t, v)
	if n := r.drain(); n != int(sum.Sent) {
		t.Fatalf("observer holds %d frames, the agent reported %d sent", n, sum.Sent)
	}
}

// countingTransport stands in for the socket of an agent: its every send
// is refused with refusal and its reconnects succeed when reconnectOK is
// set; it counts the reconnects asked of it. confirms makes the agent's
// observer a Unix socket, whose connect confirms an observer, rather than
// a UDP one.
type countingTransport struct {
	refusal     BeatOutcome
	reconnectOK bool
	confirms    bool
	dialFailure dialErr // how a reconnect fails; zero: ECONNREFUSED from connect
	reconnects  int
	sends       int
}

func (c *countingTransport) send([]byte) BeatOutcome { c.sends++; return c.refusal }

func (c *countingTransport) dial() (int, dialErr) {
	c.reconnects++
	if !c.reconnectOK {
		if c.dialFailure.failed() {
			return -1, c.dialFailure
		}
		return -1, dialErr{call: callConnect, errno: syscall.ECONNREFUSED}
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		return -1, dialErr{call: callSocket, errno: errnoOf(err)}
	}
	return fd, dialErr{}
}

// agent returns an agent connected to a loopback observer of the kind c
// stands for, whose sends and reconnects then go to c.
func (c *countingTransport) agent(t *testing.T) *Varta {
	t.Helper()
	ep := endpoint{family: unix.AF_INET, bind: &unix.SockaddrInet4{}, addr: &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}}
	if c.confirms {
		r := listen(t)
		ep = endpoint{family: unix.AF_UNIX, path: &syscall.SockaddrUnix{Name: r.path}}
	}
	v, err := newAgent(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	v.interpose(c.send, c.dial)
	return v
}

// TestDeadObserverCostsAtMostOneReconnectPerBeat beats 100 times into an
// observer that is gone, on transports that do and do not confirm an
// observer, whose reconnects fail or succeed: no beat asks for more than
// one reconnect, and no beat sends more than twice (the send and, after a
// reconnect that confirms an observer, one resend). Drops that do not
// count ask for none. The beats come one reconnect spacing apart, so that
// each may reconnect (R3.9).
func TestDeadObserverCostsAtMostOneReconnectPerBeat(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		tr                    countingTransport
		set                   func(v *Varta)
		wantReconnects, sends int
	}{
		{"uds-like/reconnect-fails", countingTransport{refusal: dropped(PeerGone), confirms: true}, nil, 100, 100},
		{"uds-like/reconnect-succeeds", countingTransport{refusal: dropped(NoObserver), confirms: true, reconnectOK: true}, nil, 100, 200},
		{"uds-like/queue-full", countingTransport{refusal: dropped(KernelQueueFull), confirms: true, reconnectOK: true}, nil, 0, 100},
		{"uds-like/storage-full", countingTransport{refusal: dropped(StorageFull), confirms: true, reconnectOK: true}, nil, 0, 100},
		{"udp-like/default", countingTransport{refusal: dropped(NoObserver), reconnectOK: true}, nil, 0, 100},
		{"udp-like/reconnect-after-1", countingTransport{refusal: dropped(NoObserver), reconnectOK: true}, func(v *Varta) { v.SetReconnectAfter(1) }, 100, 100},
		{"uds-like/reconnect-after-3", countingTransport{refusal: dropped(PeerGone), confirms: true}, func(v *Varta) { v.SetReconnectAfter(3) }, 98, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.tr
			v := tr.agent(t)
			v.tickClock()
			if tc.set != nil {
				tc.set(v)
			}
			for i := range 100 {
				before, sends := tr.reconnects, tr.sends
				if out := v.Beat(StatusOK, 0); !out.IsDropped() {
					t.Fatalf("beat %d = %v, want Dropped", i, out)
				}
				if tr.reconnects-before > 1 || tr.sends-sends > 2 {
					t.Fatalf("beat %d asked for %d reconnects and %d sends", i, tr.reconnects-before, tr.sends-sends)
				}
			}
			if tr.reconnects != tc.wantReconnects || tr.sends != tc.sends {
				t.Fatalf("%d reconnects and %d sends in 100 beats, want %d and %d", tr.reconnects, tr.sends, tc.wantReconnects, tc.sends)
			}
		})
	}
}
