package varta

import (
	"errors"
	"math/rand/v2"
	"strings"
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
		{Frame{Status: 9, PID: 2}, ErrBadStatus, "0x9"},
		{Frame{Status: StatusStall, PID: 2}, ErrStallOnWire, "observer-only"},
		{Frame{Status: StatusOK, PID: 1}, ErrBadPID, "0x1"},
		{Frame{Status: StatusOK, PID: 2, Timestamp: 1<<64 - 1}, ErrBadTimestamp, "0xffffffffffffffff"},
		{Frame{Status: StatusDegraded, PID: 2, Nonce: NonceTerminal}, ErrBadNonce, "degraded"},
	} {
		tc.f.Encode(&b)
		_, err := DecodeFrame(b[:])
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("DecodeFrame(%+v) = %v, want %v mentioning %q", tc.f, err, tc.kind, tc.text)
		}
		if verr := tc.f.Valid(); !errors.Is(verr, tc.kind) {
			t.Errorf("Valid(%+v) = %v, want %v", tc.f, verr, tc.kind)
		}
	}
	if err := good.Valid(); err != nil {
		t.Errorf("Valid(%+v) = %v", good, err)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "ok", StatusDegraded: "degraded", StatusCritical: "critical", StatusStall: "stall", 7: "status(7)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", s, got, want)
		}
	}
}
