//go:build unix

package varta

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strconv"
)

// FrameBytes is the size of one encoded VLP frame on the wire.
const FrameBytes = 32

// NonceTerminal is the nonce reserved for the terminal frame an agent sends
// when it is about to die. It is only valid together with StatusCritical.
const NonceTerminal uint64 = 1<<64 - 1

// Magic is the two-byte prefix ("VA") of every frame.
const Magic uint16 = 0x4156

// Version is the protocol version byte this package speaks (VLP v0.2).
const Version uint8 = 0x02

// Byte offsets of the frame fields (SPEC R1.1).
const (
	offMagic     = 0
	offVersion   = 2
	offStatus    = 3
	offPID       = 4
	offTimestamp = 8
	offNonce     = 16
	offPayload   = 24
	offCRC       = 28
)

// Status is the health an agent reports in a frame.
type Status uint8

// The statuses of VLP v0.2. StatusStall is synthesised by observers when beats
// stop; an agent never sends it.
const (
	StatusOK       Status = 0
	StatusDegraded Status = 1
	StatusCritical Status = 2
	StatusStall    Status = 3
)

// String returns the lower-case name of the status ("ok", "degraded",
// "critical", "stall"), or "status(N)" for a byte outside the protocol.
func (s Status) String() string {
	if int(s) < len(statusText) {
		return statusText[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

var statusText = [...]string{StatusOK: "ok", StatusDegraded: "degraded", StatusCritical: "critical", StatusStall: "stall"}

// Frame is one decoded VLP beat.
type Frame struct {
	Status    Status
	PID       uint32
	Timestamp uint64
	Nonce     uint64
	Payload   uint32
}

// castagnoli is the CRC-32C table; hash/crc32 uses the SSE4.2 or ARMv8
// instructions for it where the CPU has them.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C (Castagnoli) of b, the checksum VLP frames carry.
func Checksum(b []byte) uint32 {
	return crc32.Checksum(b, castagnoli)
}

// Encode writes f into dst in the VLP wire layout, checksum included.
// It validates nothing: use Valid first when f comes from untrusted input.
// Encode never allocates.
func (f Frame) Encode(dst *[FrameBytes]byte) {
	binary.LittleEndian.PutUint16(dst[offMagic:], Magic)
	dst[offVersion] = Version
	dst[offStatus] = byte(f.Status)
	binary.LittleEndian.PutUint32(dst[offPID:], f.PID)
	binary.LittleEndian.PutUint64(dst[offTimestamp:], f.Timestamp)
	binary.LittleEndian.PutUint64(dst[offNonce:], f.Nonce)
	binary.LittleEndian.PutUint32(dst[offPayload:], f.Payload)
	binary.LittleEndian.PutUint32(dst[offCRC:], Checksum(dst[:offCRC]))
}

// Valid reports the first rule of SPEC R1.3 that f breaks after the checksum,
// or nil when every observer would accept f. Its errors match the same
// sentinels as DecodeFrame's.
func (f Frame) Valid() error {
	switch {
	case f.Status > StatusStall:
		return &DecodeError{Kind: ErrBadStatus, Got: uint64(f.Status)}
	case f.Status == StatusStall:
		return &DecodeError{Kind: ErrStallOnWire}
	case f.PID <= 1:
		return &DecodeError{Kind: ErrBadPID, Got: uint64(f.PID)}
	case f.Timestamp == 1<<64-1:
		return &DecodeError{Kind: ErrBadTimestamp, Got: f.Timestamp}
	case f.Nonce == NonceTerminal && f.Status != StatusCritical:
		return &DecodeError{Kind: ErrBadNonce, Got: uint64(f.Status)}
	}
	return nil
}

// The kinds of decoding failure, in the order DecodeFrame checks them.
// Match them with errors.Is on the error DecodeFrame returns.
var (
	ErrFrameLength  = errors.New("varta: frame is not 32 bytes long")
	ErrBadMagic     = errors.New("varta: bad magic (not a VLP frame)")
	ErrBadVersion   = errors.New("varta: unsupported protocol version (want 0x02)")
	ErrBadCRC       = errors.New("varta: CRC-32C mismatch (frame corrupted)")
	ErrBadStatus    = errors.New("varta: unknown status byte")
	ErrStallOnWire  = errors.New("varta: stall status is observer-only and never sent by an agent")
	ErrBadPID       = errors.New("varta: pid 0 and 1 are reserved")
	ErrBadTimestamp = errors.New("varta: timestamp 2^64-1 is reserved")
	ErrBadNonce     = errors.New("varta: terminal nonce is only valid with critical status")
)

// DecodeError describes why a byte slice is not a valid VLP frame.
// errors.Is(err, ErrBadCRC) and the other Err* kinds match it.
type DecodeError struct {
	// Kind is one of the Err* sentinels above.
	Kind error
	// Got is the offending value found: the length, magic, version, status
	// byte, pid or timestamp; the checksum the frame carries for ErrBadCRC;
	// the status for ErrBadNonce.
	Got uint64
	// Want is the checksum of the frame's first 28 bytes, for ErrBadCRC only.
	Want uint64
}

// Error describes the failure and the offending value: checksums as 8
// hexadecimal digits, the magic and version in hexadecimal as the protocol
// writes them, the status that came with a terminal nonce by name, and
// lengths, unknown status bytes, pids and timestamps in decimal.
func (e *DecodeError) Error() string {
	kind := "<nil>"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	switch e.Kind {
	case ErrBadCRC:
		return kind + ": frame carries " + hex8(e.Got) + ", its bytes hash to " + hex8(e.Want)
	case ErrStallOnWire:
		return kind
	case ErrBadNonce:
		return kind + " (status " + Status(e.Got).String() + ")"
	case ErrBadMagic, ErrBadVersion:
		return kind + " (got 0x" + strconv.FormatUint(e.Got, 16) + ")"
	}
	return kind + " (got " + strconv.FormatUint(e.Got, 10) + ")"
}

// hex8 returns v in lower-case hexadecimal, zero-padded to at least 8
// digits, as checksums are read.
func hex8(v uint64) string {
	s := strconv.FormatUint(v, 16)
	if len(s) < 8 {
		s = "00000000"[len(s):] + s
	}
	return s
}

// Unwrap returns the sentinel kind so that errors.Is matches it.
func (e *DecodeError) Unwrap() error { return e.Kind }

// DecodeFrame parses one VLP frame. It checks, in this order, the length,
// magic, version, checksum, status byte, stall status, pid, timestamp and
// terminal nonce (SPEC R1.3), and returns a *DecodeError for the first rule
// broken. It never panics, whatever b holds.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) != FrameBytes {
		return Frame{}, &DecodeError{Kind: ErrFrameLength, Got: uint64(len(b))}
	}
	if m := binary.LittleEndian.Uint16(b[offMagic:]); m != Magic {
		return Frame{}, &DecodeError{Kind: ErrBadMagic, Got: uint64(m)}
	}
	if b[offVersion] != Version {
		return Frame{}, &DecodeError{Kind: ErrBadVersion, Got: uint64(b[offVersion])}
	}
	carried := binary.LittleEndian.Uint32(b[offCRC:])
	if sum := Checksum(b[:offCRC]); sum != carried {
		return Frame{}, &DecodeError{Kind: ErrBadCRC, Got: uint64(carried), Want: uint64(sum)}
	}
	f := Frame{
		Status:    Status(b[offStatus]),
		PID:       binary.LittleEndian.Uint32(b[offPID:]),
		Timestamp: binary.LittleEndian.Uint64(b[offTimestamp:]),
		Nonce:     binary.LittleEndian.Uint64(b[offNonce:]),
		Payload:   binary.LittleEndian.Uint32(b[offPayload:]),
	}
	if err := f.Valid(); err != nil {
		return Frame{}, err
	}
	return f, nil
}
