//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"
	"strconv"
)

// The replay memory of SecureOpener and MasterOpener (SPEC R6.9): per
// authenticated pid, the IV prefixes it accepted frames under and the
// highest counter under each, in bounded memory. "Replays" in the package
// documentation tells the rule and what the bounds let through.

// Bounds of the replay memory.
const (
	// replayPIDs is how many pids an opener remembers. A frame from
	// another pid makes it forget the pid whose last accepted frame is
	// the oldest.
	replayPIDs = 4096
	// pidPrefixes is how many IV prefixes of beats an opener remembers
	// per pid, and as many again of terminal frames, which are each
	// sealed under a prefix of their own (R7.3): terminal frames never
	// push a beat prefix out. A new prefix makes it forget the one of the
	// same kind whose last accepted frame is the oldest.
	pidPrefixes = 4
)

// seenPrefix is an IV prefix under which frames were accepted, and the
// highest counter among them.
type seenPrefix struct {
	prefix  [prefixBytes]byte
	counter uint32
}

// prefixList is a pid's remembered prefixes of one kind, the one with
// the most recently accepted frame first.
type prefixList struct {
	n    int
	list [pidPrefixes]seenPrefix
}

// find returns the position of prefix in l, or -1.
func (l *prefixList) find(prefix [prefixBytes]byte) int {
	for i := range l.n {
		if l.list[i].prefix == prefix {
			return i
		}
	}
	return -1
}

// use raises the counter of the prefix at position i and moves it first.
func (l *prefixList) use(i int, counter uint32) {
	p := l.list[i]
	p.counter = counter
	copy(l.list[1:i+1], l.list[:i])
	l.list[0] = p
}

// add puts prefix first, with counter, forgetting the last prefix when l
// is full.
func (l *prefixList) add(prefix [prefixBytes]byte, counter uint32) {
	l.n = min(l.n+1, pidPrefixes)
	copy(l.list[1:l.n], l.list[:l.n-1])
	l.list[0] = seenPrefix{prefix, counter}
}

// pidState is what an opener remembers of one pid.
type pidState struct {
	pid       uint32
	beats     prefixList
	terminals prefixList
	// aead is, in a MasterOpener, the cipher of the key derived for pid;
	// nil in a SecureOpener.
	aead cipher.AEAD
	// newer and older link the pids by their last accepted frame.
	newer, older *pidState
}

// replayMemory is the state of an opener's replay check: at most
// replayPIDs pids, found by a map, in a list from the pid with the most
// recently accepted frame to the one with the oldest. It is not safe for
// concurrent use: each opener holds its lock around it.
type replayMemory struct {
	pids           map[uint32]*pidState
	newest, oldest *pidState
}

// cipherOf returns the cipher remembered for pid, or nil.
func (m *replayMemory) cipherOf(pid uint32) cipher.AEAD {
	if e := m.pids[pid]; e != nil {
		return e.aead
	}
	return nil
}

// accept checks a frame f that authenticated under the AEAD nonce nonce
// (IV prefix, then u32le counter) against what m remembers of f.PID, and
// records it. A replay (R6.9) is a frame whose counter is not above the
// highest seen under its prefix for that pid, or a beat with nonce 1,
// which only a new agent sends, under a prefix already seen; it gets an
// error matching ErrReplay and changes nothing. A prefix never seen starts
// a new session. aead, the cipher f was opened with, is remembered for a
// pid new to m (nil in a SecureOpener).
func (m *replayMemory) accept(nonce []byte, f Frame, aead cipher.AEAD) error {
	prefix := [prefixBytes]byte(nonce)
	counter := binary.LittleEndian.Uint32(nonce[counterAt:])
	terminal := f.Nonce == NonceTerminal
	e := m.pids[f.PID]
	if e == nil {
		e = m.remember(f.PID, aead)
	}
	for _, l := range []*prefixList{&e.beats, &e.terminals} {
		i := l.find(prefix)
		if i < 0 {
			continue
		}
		switch {
		case counter <= l.list[i].counter:
			return replayError(f.PID, "counter "+strconv.FormatUint(uint64(counter), 10)+
				" under an IV prefix already seen up to counter "+strconv.FormatUint(uint64(l.list[i].counter), 10)+
				": a frame accepted before, or one that arrived after a later frame of its session")
		case f.Nonce == 1:
			return replayError(f.PID, "a beat with nonce 1, which starts a new agent, under an IV prefix already seen: a new agent seals under a new prefix")
		}
		l.use(i, counter)
		m.touch(e)
		return nil
	}
	if terminal {
		e.terminals.add(prefix, counter)
	} else {
		e.beats.add(prefix, counter)
	}
	m.touch(e)
	return nil
}

// replayError returns the error of a replay from pid, saying why.
func replayError(pid uint32, why string) error {
	return &textError{msg: ErrReplay.Error() + ": pid " + strconv.FormatUint(uint64(pid), 10) + ": " + why + "; drop it", err: ErrReplay}
}

// remember returns a new entry for pid, holding aead and no prefix yet,
// first in the list; when m is full, the entry of the pid with the oldest
// accepted frame makes room, and its cipher is dropped. A frame of a new
// pid cannot be a replay: the caller records it under the entry.
func (m *replayMemory) remember(pid uint32, aead cipher.AEAD) *pidState {
	if m.pids == nil {
		m.pids = make(map[uint32]*pidState)
	}
	e := new(pidState)
	if len(m.pids) >= replayPIDs {
		e = m.oldest
		m.unlink(e)
		delete(m.pids, e.pid)
		*e = pidState{}
	}
	e.pid, e.aead = pid, aead
	m.pids[pid] = e
	m.linkNewest(e)
	return e
}

// touch moves e, which is in the list, to its front: the pid with the
// most recently accepted frame.
func (m *replayMemory) touch(e *pidState) {
	if m.newest != e {
		m.unlink(e)
		m.linkNewest(e)
	}
}

// linkNewest links e, which is in no list, at the front.
func (m *replayMemory) linkNewest(e *pidState) {
	e.older = m.newest
	if m.newest != nil {
		m.newest.newer = e
	}
	m.newest = e
	if m.oldest == nil {
		m.oldest = e
	}
}

// unlink takes e out of the list.
func (m *replayMemory) unlink(e *pidState) {
	if e.newer != nil {
		e.newer.older = e.older
	} else {
		m.newest = e.older
	}
	if e.older != nil {
		e.older.newer = e.newer
	} else {
		m.oldest = e.newer
	}
	e.newer, e.older = nil, nil
}

// forget drops everything, the ciphers included.
func (m *replayMemory) forget() {
	*m = replayMemory{}
}
