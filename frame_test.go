package varta

// Proves that the frame codec round-trips, rejects every other length, and
// names the offending value in its errors.

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestDecodeFrameRejectsEveryOtherLength(t *testing.T) {
	for _, n := range []int{0, 1, 31, 33, 60, 64, 1024} {
		_, err := DecodeFrame(make([]byte, n))
		var de *DecodeError
		if !errors.Is(err, ErrFrameLength) || !errors.As(err, &de) || de.Got != uint64(n) {
			t.Errorf("DecodeFrame(%d bytes) = %v, want ErrFrameLength with the length", n, err)
		}
	}
	if _, err := DecodeFrame(nil); !errors.Is(err, ErrFrameLength) {
		t.Errorf("DecodeFrame(nil) = %v", err)
	}
}

func TestEncodeDecodeRoundTripsRandomFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		f := Frame{
			Status:    Status(rng.IntN(3)),
			PID:       2 + rng.Uint32N(1<<32-2),
			Timestamp: rng.Uint64N(1<<64 - 1),
			Nonce:     rng.Uint64N(NonceTerminal),
			Payload:   rng.Uint32(),
		}
		var b [FrameBytes]byte
		f.Encode(&b)
		got, err := DecodeFrame(b[:])
		if err != nil || got != f {
			t.Fatalf("DecodeFrame(Encode(%+v)) = %+v, %v", f, got, err)
		}
	}
}

func TestDecodeErrorsNameTheOffendingValue(t *testing.T) {
	good := Frame{Status: StatusOK, PID: 2, Nonce: 1}
	var b [FrameBytes]byte
	good.Encode(&b)
	b[offCRC] ^= 0xff
	_, err := DecodeFrame(b[:])
	if !errors.Is(err, ErrBadCRC) {
		t.Fatalf("corrupted CRC: %v", err)
	}
	var de *DecodeError
	errors.As(err, &de)
	if de.Want != uint64(Checksum(b[:offCRC])) || de.Got == de.Want {
		t.Errorf("ErrBadCRC reports carried %x and computed %x", de.Got, de.Want)
	}
	for _, tc := range []struct {
		f    Frame
		kind error
		text string
	}{
		{Frame{Status: 9, PID: 2}, ErrBadStatus, "varta: unknown status byte (got 9)"},
		{Frame{Status: StatusStall, PID: 2}, ErrStallOnWire, "varta: stall status is observer-only and never sent by an agent"},
		{Frame{Status: StatusOK, PID: 1}, ErrBadPID, "varta: pid 0 and 1 are reserved (got 1)"},
		{Frame{Status: StatusOK, PID: 2, Timestamp: 1<<64 - 1}, ErrBadTimestamp, "varta: timestamp 2^64-1 is reserved (got 18446744073709551615)"},
		{Frame{Status: StatusDegraded, PID: 2, Nonce: NonceTerminal}, ErrBadNonce, "varta: terminal nonce is only valid with critical status (status degraded)"},
	} {
		tc.f.Encode(&b)
		_, err := DecodeFrame(b[:])
		if !errors.Is(err, tc.kind) || err.Error() != tc.text {
			t.Errorf("DecodeFrame(%+v) = %v, want %v reading %q", tc.f, err, tc.kind, tc.text)
		}
		if verr := tc.f.Valid(); !errors.Is(verr, tc.kind) {
			t.Errorf("Valid(%+v) = %v, want %v", tc.f, verr, tc.kind)
		}
	}
	if err := good.Valid(); err != nil {
		t.Errorf("Valid(%+v) = %v", good, err)
	}
}

// TestDecodeErrorTextsSayWhatAPersonReads pins the text of every kind:
// lengths, pids and timestamps in decimal, the magic and version in
// hexadecimal as the protocol writes them, checksums as 8 hexadecimal
// digits. A DecodeError built without a kind still has a text.
func TestDecodeErrorTextsSayWhatAPersonReads(t *testing.T) {
	for _, tc := range []struct {
		err  *DecodeError
		want string
	}{
		{&DecodeError{Kind: ErrFrameLength, Got: 16}, "varta: frame is not 32 bytes long (got 16)"},
		{&DecodeError{Kind: ErrBadMagic, Got: 0x4156}, "varta: bad magic (not a VLP frame) (got 0x4156)"},
		{&DecodeError{Kind: ErrBadVersion, Got: 1}, "varta: unsupported protocol version (want 0x02) (got 0x1)"},
		{&DecodeError{Kind: ErrBadCRC, Got: 0x5b29, Want: 0xa909f191}, "varta: CRC-32C mismatch (frame corrupted): frame carries 00005b29, its bytes hash to a909f191"},
		{&DecodeError{Kind: ErrBadStatus, Got: 200}, "varta: unknown status byte (got 200)"},
		{&DecodeError{Kind: ErrBadPID, Got: 0}, "varta: pid 0 and 1 are reserved (got 0)"},
		{&DecodeError{Kind: ErrBadNonce, Got: 7}, "varta: terminal nonce is only valid with critical status (status status(7))"},
		{&DecodeError{Got: 3}, "<nil> (got 3)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q, want %q", tc.err, got, tc.want)
		}
	}
	if _, err := DecodeFrame(make([]byte, 16)); err == nil || err.Error() != "varta: frame is not 32 bytes long (got 16)" {
		t.Errorf("DecodeFrame(16 bytes) = %v", err)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "ok", StatusDegraded: "degraded", StatusCritical: "critical", StatusStall: "stall", 7: "status(7)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", s, got, want)
		}
	}
}
