//go:build unix

package varta

import (
	"sync"
	"sync/atomic"
)

// The wipe-on-fork mark (SPEC R3.2, R6.8). Where the kernel can, the
// process maps one page that a forked child sees filled with zeros, and
// keeps a generation in its first word: never 0 while the page is this
// process's own. Each agent remembers the generation it last saw, so a
// beat notices a fork with one atomic load and one comparison, and every
// agent of a process notices it by itself, whichever beats first.
//
// The first agent to find the word zero (or another generation than its
// own) re-marks it with a generation no agent can have seen: the counter
// below lives in ordinary memory, so a child inherits it, and it only
// grows, so the child's next generation is above every generation its
// parent had handed out. The page changes only in a forked child, so any
// difference means at least one fork since the agent's last look, even
// when the pid number is the same (a child in a new pid namespace).
var (
	forkMarkOnce sync.Once
	forkMarkWord *atomic.Uint64 // nil where no mark could be made
	forkMarkErr  error          // why not, for tests
	forkMarkGen  atomic.Uint64  // last generation handed out in this process
)

// processForkMark returns the process's mark, setting it up on the first
// call (at the first Connect), or nil where the mark cannot be made and
// beats must read the pid instead.
func processForkMark() *atomic.Uint64 {
	forkMarkOnce.Do(func() { forkMarkWord, forkMarkErr = newForkMark() })
	return forkMarkWord
}

// remark returns the generation in m, first storing a new one if a fork
// wiped it. It takes no lock, so a child forked while another thread was
// in here cannot find it held; a generation lost to a race is skipped.
func remark(m *atomic.Uint64) uint64 {
	for {
		if g := m.Load(); g != 0 {
			return g
		}
		if g := forkMarkGen.Add(1); m.CompareAndSwap(0, g) {
			return g
		}
	}
}

// ForkCheck says how an agent's beats notice that the process was forked
// (SPEC R3.2). Which one an agent uses is fixed when the process's first
// agent connects; ForkCheck on the agent reports it.
type ForkCheck uint8

const (
	// ForkCheckPID reads the pid on every beat (a system call) and follows
	// a fork when it differs from the pid the agent was set up for. Used
	// where the kernel offers no wipe-on-fork memory: systems other than
	// Linux, Linux before 4.14, or a seccomp policy that refuses it.
	ForkCheckPID ForkCheck = iota
	// ForkCheckMark reads a word of a page that the kernel zeroes in a
	// forked child (Linux MADV_WIPEONFORK): a beat is one memory read, and
	// the pid is read only when the mark is gone. A cleared mark is a fork
	// even when the pid number did not change (SPEC R6.8).
	ForkCheckMark
)

// String returns "pid" or "mark".
func (c ForkCheck) String() string {
	if c == ForkCheckMark {
		return "mark"
	}
	return "pid"
}

// ForkCheck reports how the agent's beats notice a fork. A nil agent
// reports ForkCheckPID.
func (v *Varta) ForkCheck() ForkCheck {
	if v == nil {
		return ForkCheckPID
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.mark != nil {
		return ForkCheckMark
	}
	return ForkCheckPID
}
