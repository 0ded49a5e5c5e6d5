//go:build unix

package vartatest_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// daemonEnv, when set, makes the test binary run as a daemon that beats to
// the observer at the path it holds and then panics.
const daemonEnv = "VARTATEST_DAEMON"

// wait bounds every Next that expects a frame: a hang guard, not a timing
// assertion.
const wait = 10 * time.Second

func TestObserverFollowsADaemonThatBeatsThenPanics(t *testing.T) {
	if path := os.Getenv(daemonEnv); path != "" {
		runDaemon(path)
	}
	obs := vartatest.NewObserver(t)
	daemon := exec.Command(os.Args[0], "-test.run=^TestObserverFollowsADaemonThatBeatsThenPanics$", "-test.count=1")
	// The race detector's pause of a second at exit would only slow this down.
	daemon.Env = append(os.Environ(), daemonEnv+"="+obs.Path(), "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	daemon.Stderr = &stderr
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill() })
	pid := uint32(daemon.Process.Pid)

	for i := uint64(1); i <= 3; i++ {
		f, err := obs.Next(wait)
		if err != nil {
			t.Fatalf("beat %d: %v\ndaemon's stderr:\n%s", i, err, stderr.Bytes())
		}
		if f.PID != pid || f.Nonce != i || f.Payload != uint32(i) || f.Status != varta.StatusOK || vartatest.IsTerminal(f) {
			t.Fatalf("beat %d: got %+v, want pid %d, nonce and payload %d, ok", i, f, pid, i)
		}
	}
	f, err := obs.Next(wait)
	if err != nil {
		t.Fatalf("terminal frame: %v\ndaemon's stderr:\n%s", err, stderr.Bytes())
	}
	if !vartatest.IsTerminal(f) || f.Status != varta.StatusCritical || f.PID != pid {
		t.Fatalf("got %+v, want a terminal frame from pid %d", f, pid)
	}

	err = daemon.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "panic: daemon gave up") {
		t.Errorf("daemon ended with %v, want exit status 2 and its panic on stderr:\n%s", err, stderr.Bytes())
	}
}

// runDaemon is the daemon: it beats three times, then panics under Guard.
func runDaemon(path string) {
	agent, err := varta.Connect(path)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(3)
	}
	defer agent.Close()
	defer agent.Guard()
	for i := uint32(1); i <= 3; i++ {
		if out := agent.Beat(varta.StatusOK, i); !out.IsSent() {
			os.Stderr.WriteString("beat: " + out.String() + "\n")
			os.Exit(3)
		}
	}
	panic("daemon gave up")
}

func TestObserverAcceptsAnAgentsFrames(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	agent, err := varta.Connect(obs.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for i := uint64(1); i <= 5; i++ {
		if i == 3 {
			if out := agent.SendTerminal(); !out.IsSent() {
				t.Fatalf("terminal frame: %v", out)
			}
			if f, err := obs.Next(wait); err != nil || !vartatest.IsTerminal(f) {
				t.Fatalf("got %+v, %v, want a terminal frame", f, err)
			}
		}
		if out := agent.Beat(varta.StatusDegraded, 9); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		f, err := obs.Next(wait)
		if err != nil || f.Nonce != i || f.Status != varta.StatusDegraded || f.Payload != 9 {
			t.Fatalf("beat %d: got %+v, %v", i, f, err)
		}
	}
	rec.expectNoReport(t)
}

// TestObserverAcceptsANewAgentOfTheSamePid closes an agent and connects a
// new one in the same process: the new agent starts again at nonce 1, with
// timestamps from its own epoch, and the observer takes that as a new
// sequence rather than a repeated or out-of-order nonce.
func TestObserverAcceptsANewAgentOfTheSamePid(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	for round, beats := range []uint64{3, 1, 1, 2} {
		agent, err := varta.Connect(obs.Path())
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(1); i <= beats; i++ {
			if out := agent.Beat(varta.StatusOK, uint32(round)); !out.IsSent() {
				t.Fatalf("agent %d, beat %d: %v", round+1, i, out)
			}
			if f, err := obs.Next(wait); err != nil || f.Nonce != i || f.Payload != uint32(round) {
				t.Fatalf("agent %d, beat %d: got %+v, %v, want nonce %d", round+1, i, f, err, i)
			}
		}
		if round%2 == 0 {
			if out := agent.SendTerminal(); !out.IsSent() {
				t.Fatalf("agent %d, terminal frame: %v", round+1, out)
			}
			if f, err := obs.Next(wait); err != nil || !vartatest.IsTerminal(f) {
				t.Fatalf("agent %d: got %+v, %v, want a terminal frame", round+1, f, err)
			}
		}
		if err := agent.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rec.expectNoReport(t)
}

// TestObserverTakesNonceOneAsANewSequence sends hand-made frames: nonce 1
// after a higher nonce, or after 1, starts a new sequence whose timestamps
// may be earlier than the previous sequence's, terminal frames included.
func TestObserverTakesNonceOneAsANewSequence(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: obs.Path(), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pid := uint32(os.Getpid())
	for i, f := range []varta.Frame{
		{PID: pid, Nonce: 1, Timestamp: 1000},
		{PID: pid, Nonce: 2, Timestamp: 2000},
		{PID: pid, Nonce: 3, Timestamp: 3000},
		{PID: pid, Nonce: varta.NonceTerminal, Status: varta.StatusCritical, Timestamp: 3500},
		{PID: pid, Nonce: 1, Timestamp: 10}, // a new agent: new epoch
		{PID: pid, Nonce: 1, Timestamp: 5},  // and another, after one beat
		{PID: pid, Nonce: 2, Timestamp: 20},
		{PID: pid, Nonce: varta.NonceTerminal, Status: varta.StatusCritical, Timestamp: 30},
	} {
		if _, err := conn.Write(frameBytes(f)); err != nil {
			t.Fatal(err)
		}
		if got, err := obs.Next(wait); err != nil || got != f {
			t.Errorf("frame %d: got %+v, %v, want %+v", i+1, got, err, f)
		}
	}
	rec.expectNoReport(t)
}

func TestObserverNextTimesOutWithoutReporting(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	_, err := obs.Next(time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("got %v, want an error matching os.ErrDeadlineExceeded", err)
	}
	rec.expectNoReport(t)
}

func TestObserverPathFitsASocketAddress(t *testing.T) {
	obs := vartatest.NewObserver(t)
	if n := len(obs.Path()); n == 0 || n > 103 {
		t.Errorf("path %q is %d bytes, want 1..103", obs.Path(), n)
	}
	if fi, err := os.Stat(obs.Path()); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("stat %s: %v, %v, want a socket", obs.Path(), fi, err)
	}
}

// TestObserverUnderALongTMPDIRSaysWhatToShorten binds an observer under a
// TMPDIR too long for a socket address: the test fails with varta's words
// for the limit (ParseTarget's, which are Connect's) and the advice to
// shorten TMPDIR, not with bind's "invalid argument", and leaves no
// directory behind.
func TestObserverUnderALongTMPDIRSaysWhatToShorten(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		vartatest.NewObserver(rec)
		t.Error("NewObserver returned under a TMPDIR too long for a socket address")
	}()
	<-done
	reports := rec.reports()
	if len(reports) != 1 {
		t.Fatalf("reported %q, want one report", reports)
	}
	// varta's words for a path too long, but for its length.
	_, limit := varta.ParseTarget(long + "/observer.sock")
	_, words, ok := strings.Cut(limit.Error(), " bytes, longer than the ")
	if !ok || !errors.Is(limit, varta.ErrInvalidPath) {
		t.Fatalf("ParseTarget of a path too long: %v", limit)
	}
	for _, want := range []string{
		"vartatest: no room for the observer's socket in the temporary directory " + long + ": varta: invalid socket path: ",
		" bytes, longer than the " + words + "; run the test with a shorter TMPDIR, such as TMPDIR=/tmp",
	} {
		if !strings.Contains(reports[0], want) {
			t.Errorf("reported %q, which does not say %q", reports[0], want)
		}
	}
	if strings.Contains(reports[0], "invalid argument") {
		t.Errorf("reported %q: bind's words, not the limit's", reports[0])
	}
	if left, _ := os.ReadDir(long); len(left) != 0 {
		t.Errorf("left %d entries in TMPDIR, want none", len(left))
	}
}

// violation is one hand-made stream: every frame but the last is accepted,
// the last breaks the rule that want (an error kind) names.
type violation struct {
	name   string
	frames [][]byte
	want   error
	// decoded: the last frame decodes, so Next returns it with the error.
	decoded bool
}

// streamViolations are the rules of a frame stream that any observer can
// check, built from frames carrying pid.
func streamViolations(pid uint32) []violation {
	beat := func(nonce, ts uint64) []byte {
		return frameBytes(varta.Frame{Status: varta.StatusOK, PID: pid, Nonce: nonce, Timestamp: ts})
	}
	terminal := func(ts uint64) []byte {
		return frameBytes(varta.Frame{Status: varta.StatusCritical, PID: pid, Nonce: varta.NonceTerminal, Timestamp: ts})
	}
	badCRC := beat(1, 10)
	badCRC[28] ^= 0xff
	badMagic := beat(1, 10)
	badMagic[0] = 'X'
	stall := frameBytes(varta.Frame{Status: varta.StatusStall, PID: pid, Nonce: 1, Timestamp: 10})
	return []violation{
		{"short datagram", [][]byte{beat(1, 10)[:31]}, varta.ErrFrameLength, false},
		{"bad magic", [][]byte{badMagic}, varta.ErrBadMagic, false},
		{"bad checksum", [][]byte{badCRC}, varta.ErrBadCRC, false},
		{"stall on the wire", [][]byte{stall}, varta.ErrStallOnWire, false},
		{"first nonce is not 1", [][]byte{beat(2, 10)}, vartatest.ErrNonceSequence, true},
		{"nonce gap", [][]byte{beat(1, 10), beat(3, 20)}, vartatest.ErrNonceSequence, true},
		{"nonce repeated", [][]byte{beat(1, 10), beat(2, 20), beat(2, 30)}, vartatest.ErrNonceSequence, true},
		{"timestamp backwards", [][]byte{beat(1, 10), beat(2, 9)}, vartatest.ErrTimestampBackwards, true},
		{"nonce gap in a new sequence", [][]byte{beat(1, 10), beat(2, 20), beat(1, 5), beat(3, 6)}, vartatest.ErrNonceSequence, true},
		{"nonce repeated in a new sequence", [][]byte{beat(1, 10), beat(2, 20), beat(1, 5), beat(2, 6), beat(2, 7)}, vartatest.ErrNonceSequence, true},
		{"timestamp backwards in a new sequence", [][]byte{beat(1, 10), beat(2, 20), beat(1, 5), beat(2, 4)}, vartatest.ErrTimestampBackwards, true},
		{"terminal before the new sequence's last beat", [][]byte{beat(1, 10), terminal(20), beat(1, 5), terminal(4)}, vartatest.ErrTimestampBackwards, true},
		{"terminal before the last beat", [][]byte{beat(1, 10), terminal(9)}, vartatest.ErrTimestampBackwards, true},
		{"terminal not after the previous one", [][]byte{terminal(10), terminal(10)}, vartatest.ErrTimestampBackwards, true},
	}
}

// observer is what every observer offers to receive frames.
type observer interface {
	Next(time.Duration) (varta.Frame, error)
	Receive(time.Duration) (varta.Frame, error)
	NextTerminal(time.Duration) (varta.Frame, error)
}

// checkViolations sends each stream to a fresh observer made by
// newObserver, once received with Next and once with Receive, and checks
// that the frames before the last pass and the last is returned, and
// reported by Next only.
func checkViolations(t *testing.T, cases []violation, newObserver func(testing.TB) (send func([]byte), obs observer)) {
	for _, tc := range cases {
		for _, method := range []string{"Next", "Receive"} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				rec := &recorder{TB: t}
				send, obs := newObserver(rec)
				receive := obs.Next
				if method == "Receive" {
					receive = obs.Receive
				}
				for i, b := range tc.frames {
					send(b)
					f, err := receive(wait)
					if i < len(tc.frames)-1 {
						if err != nil {
							t.Fatalf("frame %d: %v", i+1, err)
						}
						rec.expectNoReport(t)
						continue
					}
					if !errors.Is(err, tc.want) {
						t.Errorf("got error %v, want one matching %v", err, tc.want)
					}
					if method == "Next" {
						rec.expectReport(t, tc.want.Error())
					} else {
						rec.expectNoReport(t)
					}
					if got := f != (varta.Frame{}); got != tc.decoded {
						t.Errorf("returned frame %+v: decoded %v, want %v", f, got, tc.decoded)
					}
				}
			})
		}
	}
}

func TestObserverReportsEachViolation(t *testing.T) {
	pid := uint32(os.Getpid())
	cases := streamViolations(pid)
	if runtime.GOOS == "linux" {
		cases = append(cases, violation{"pid is not the sender's",
			[][]byte{frameBytes(varta.Frame{PID: pid + 1, Nonce: 1})}, vartatest.ErrSenderPID, true})
	}
	checkViolations(t, cases, func(tb testing.TB) (func([]byte), observer) {
		obs := vartatest.NewObserver(tb)
		return unixSender(t, obs.Path()), obs
	})
}

// unixSender returns a function that sends datagrams to the Unix socket at
// path.
func unixSender(t *testing.T, path string) func([]byte) {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
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

func TestObserverTargetReachesItThroughConnectToAndTheEnvironment(t *testing.T) {
	obs := vartatest.NewObserver(t)
	if want := "unix://" + obs.Path(); obs.Target() != want {
		t.Errorf("Target() = %q, want %q", obs.Target(), want)
	}
	expectFirstBeat(t, obs, connect(t, obs.Target()))
	t.Setenv(varta.ObserverEnv, obs.Target())
	agent, err := varta.ConnectFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	expectFirstBeat(t, obs, agent)
}

// expectFirstBeat beats once with agent and checks that obs receives the
// beat as the agent's first.
func expectFirstBeat(t *testing.T, obs observer, agent *varta.Varta) {
	t.Helper()
	beat(t, agent, 5)
	if f, err := obs.Next(wait); err != nil || f.Nonce != 1 || f.Payload != 5 {
		t.Errorf("got %+v, %v, want the agent's first beat", f, err)
	}
}

// TestObserverCloseLeavesAnAgentDropping makes the observer vanish under a
// beating agent, the event the protocol exists to tell.
func TestObserverCloseLeavesAnAgentDropping(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	agent := connect(t, obs.Target())
	beat(t, agent, 0)
	obs.Close()
	obs.Close() // again: nothing happens, nor at cleanup
	if _, err := os.Lstat(filepath.Dir(obs.Path())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, the observer's directory: %v, want it removed", err)
	}
	for i := 1; i <= 3; i++ {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsDropped() {
			t.Errorf("beat %d after Close: %v, want dropped", i, out)
		}
	}
	expectClosed(t, obs)
	rec.expectNoReport(t)
}

// expectClosed checks that each of obs's receiving methods says that the
// observer is closed.
func expectClosed(t *testing.T, obs observer) {
	t.Helper()
	for name, receive := range map[string]func(time.Duration) (varta.Frame, error){
		"Next": obs.Next, "Receive": obs.Receive, "NextTerminal": obs.NextTerminal,
	} {
		if _, err := receive(wait); !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "observer is closed") {
			t.Errorf("%s after Close: %v, want an error matching net.ErrClosed that says so", name, err)
		}
	}
}

// TestObserverCloseEndsAWaitingNext closes the observer while Next waits
// for a frame in another goroutine.
func TestObserverCloseEndsAWaitingNext(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	done := make(chan error)
	go func() {
		_, err := obs.Next(wait)
		done <- err
	}()
	obs.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next: %v, want an error matching net.ErrClosed", err)
	}
	rec.expectNoReport(t)
}

func TestObserverNextTerminalChecksTheFramesBeforeIt(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	agent := connect(t, obs.Target())
	for i := 0; i < 3; i++ {
		beat(t, agent, 0)
	}
	if out := agent.SendTerminal(); !out.IsSent() {
		t.Fatalf("terminal frame: %v", out)
	}
	f, err := obs.NextTerminal(wait)
	if err != nil || !vartatest.IsTerminal(f) || f.PID != uint32(os.Getpid()) {
		t.Errorf("got %+v, %v, want this process's terminal frame", f, err)
	}
	rec.expectNoReport(t)

	// Hand-made frames: a gap before the terminal frame is reported, and
	// the wait goes on to the terminal frame.
	obs = vartatest.NewObserver(rec)
	send := unixSender(t, obs.Path())
	pid := uint32(os.Getpid())
	send(frameBytes(varta.Frame{PID: pid, Nonce: 1, Timestamp: 10}))
	send(frameBytes(varta.Frame{PID: pid, Nonce: 3, Timestamp: 20}))
	send(frameBytes(varta.Frame{PID: pid, Nonce: varta.NonceTerminal, Status: varta.StatusCritical, Timestamp: 30}))
	if f, err := obs.NextTerminal(wait); err != nil || !vartatest.IsTerminal(f) {
		t.Errorf("got %+v, %v, want the terminal frame", f, err)
	}
	rec.expectReport(t, "nonce 3 after 1, want 2")
}

func TestObserverNextTerminalTimesOutWithoutReporting(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewObserver(rec)
	send := unixSender(t, obs.Path())
	pid := uint32(os.Getpid())
	send(frameBytes(varta.Frame{PID: pid, Nonce: 1, Timestamp: 10}))
	send(frameBytes(varta.Frame{PID: pid, Nonce: 2, Timestamp: 20}))
	// The two beats are queued before the wait starts, which reads both and
	// then finds no terminal frame; the second only bounds the test's length.
	_, err := obs.NextTerminal(time.Second)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "no terminal frame") ||
		!strings.Contains(err.Error(), "other datagrams received: 2") {
		t.Errorf("got %v, want an error matching os.ErrDeadlineExceeded that counts the 2 beats", err)
	}
	rec.expectNoReport(t)
}
