package varta

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"testing"
)

// observed is a frame as an observer sees it, parsed straight from the
// bytes by the layout of SPEC R1.1 without any of this package's code, so
// that agent tests do not trust the codec they are testing.
type observed struct {
	status    byte
	pid       uint32
	timestamp uint64
	nonce     uint64
	payload   uint32
}

// observe checks the wire bytes as an independent observer would and
// returns the fields, or an error naming the first rule broken.
func observe(b []byte) (observed, error) {
	if len(b) != 32 {
		return observed{}, fmt.Errorf("length %d, want 32", len(b))
	}
	if b[0] != 'V' || b[1] != 'A' || b[2] != 2 {
		return observed{}, fmt.Errorf("header % x, want 56 41 02", b[:3])
	}
	want := crc32.Checksum(b[:28], crc32.MakeTable(0x82F63B78))
	if got := binary.LittleEndian.Uint32(b[28:]); got != want {
		return observed{}, fmt.Errorf("crc %08x, want %08x", got, want)
	}
	o := observed{
		status:    b[3],
		pid:       binary.LittleEndian.Uint32(b[4:]),
		timestamp: binary.LittleEndian.Uint64(b[8:]),
		nonce:     binary.LittleEndian.Uint64(b[16:]),
		payload:   binary.LittleEndian.Uint32(b[24:]),
	}
	switch {
	case o.status > 2:
		return o, fmt.Errorf("status %d on the wire", o.status)
	case o.pid <= 1:
		return o, fmt.Errorf("pid %d", o.pid)
	case o.timestamp == ^uint64(0):
		return o, fmt.Errorf("reserved timestamp")
	case o.nonce == ^uint64(0) && o.status != 2:
		return o, fmt.Errorf("terminal nonce with status %d", o.status)
	}
	return o, nil
}

// stream follows the frames of one sender as an observer does: it accepts
// a frame only if it is well formed, carries the sender's real pid, the
// next nonce, and a timestamp no earlier than the previous one.
type stream struct {
	t      *testing.T
	pid    uint32
	nonce  uint64
	lastTS uint64
}

func newStream(t *testing.T) *stream {
	return &stream{t: t, pid: uint32(os.Getpid())}
}

// accept checks the next frame of the stream and returns it.
func (s *stream) accept(b []byte) observed {
	s.t.Helper()
	o, err := observe(b)
	if err != nil {
		s.t.Fatalf("observer rejects %x: %v", b, err)
	}
	if o.pid != s.pid {
		s.t.Fatalf("frame pid %d, want the sender's %d", o.pid, s.pid)
	}
	if o.nonce != s.nonce+1 {
		s.t.Fatalf("nonce %d after %d: a gap or repeat", o.nonce, s.nonce)
	}
	if o.timestamp < s.lastTS {
		s.t.Fatalf("timestamp %d after %d went backwards", o.timestamp, s.lastTS)
	}
	s.nonce, s.lastTS = o.nonce, o.timestamp
	return o
}
