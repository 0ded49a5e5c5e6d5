//go:build unix

package vartatest_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/varta-go/varta"
)

// recorder is a testing.TB that records Errorf and Fatalf calls instead of
// failing the test, so that tests can assert that a violation is reported.
// Everything else (Cleanup, Helper, Logf) goes to the real test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

// Errorf records the message.
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// Fatalf records the message and ends the calling goroutine, as
// testing.T.Fatalf does.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// reports returns the messages recorded so far and forgets them.
func (r *recorder) reports() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := r.errs
	r.errs = nil
	return errs
}

// expectReport fails t unless exactly one report was recorded since the
// last call and it contains want.
func (r *recorder) expectReport(t *testing.T, want string) {
	t.Helper()
	errs := r.reports()
	if len(errs) != 1 || !strings.Contains(errs[0], want) {
		t.Errorf("reported %q, want one report containing %q", errs, want)
	}
}

// expectNoReport fails t if anything was recorded since the last call.
func (r *recorder) expectNoReport(t *testing.T) {
	t.Helper()
	if errs := r.reports(); len(errs) != 0 {
		t.Errorf("reported %q, want nothing", errs)
	}
}

// connect connects an agent to target with varta.ConnectTo; the test's
// cleanup closes it.
func connect(t *testing.T, target string) *varta.Varta {
	t.Helper()
	agent, err := varta.ConnectTo(target)
	if err != nil {
		t.Fatalf("ConnectTo(%q): %v", target, err)
	}
	t.Cleanup(func() { agent.Close() })
	return agent
}

// beat sends a beat and fails the test unless it was sent.
func beat(t *testing.T, agent *varta.Varta, payload uint32) {
	t.Helper()
	if out := agent.Beat(varta.StatusOK, payload); !out.IsSent() {
		t.Fatalf("beat: %v", out)
	}
}

// frameBytes encodes f by hand, straight from the layout of SPEC R1.1, with
// a correct checksum: the tests build frames that varta's encoder would
// refuse to produce from an agent.
func frameBytes(f varta.Frame) []byte {
	b := make([]byte, varta.FrameBytes)
	b[0], b[1], b[2], b[3] = 'V', 'A', 2, byte(f.Status)
	binary.LittleEndian.PutUint32(b[4:], f.PID)
	binary.LittleEndian.PutUint64(b[8:], f.Timestamp)
	binary.LittleEndian.PutUint64(b[16:], f.Nonce)
	binary.LittleEndian.PutUint32(b[24:], f.Payload)
	binary.LittleEndian.PutUint32(b[28:], varta.Checksum(b[:28]))
	return b
}

// newExampleT returns what stands in for a test's *testing.T in the
// examples, which have none: what the test would report is printed, so
// that an unexpected report fails the example, and end runs the cleanups
// as the end of a test does.
func newExampleT() *exampleT { return &exampleT{} }

// exampleT stands in for a *testing.T in the examples. It has the methods
// the examples and the observers call; any other would panic.
type exampleT struct {
	testing.TB
	cleanups []func()
}

// end runs the cleanups, last registered first, as the end of a test does.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func (*exampleT) Helper()            {}
func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (*exampleT) Error(args ...any)  { fmt.Println(append([]any{"error:"}, args...)...) }

func (*exampleT) Errorf(format string, args ...any) {
	fmt.Printf("error: "+format+"\n", args...)
}

// Fatal prints, and ends the example as t.Fatal ends a test: its deferred
// calls, end among them, run, and the example fails.
func (t *exampleT) Fatal(args ...any) {
	t.Error(args...)
	runtime.Goexit()
}

func (t *exampleT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}
