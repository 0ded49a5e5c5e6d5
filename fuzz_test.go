package varta

// Fuzz targets of the frame codec: decoding never panics, and whatever
// decodes re-encodes to the same bytes.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// The fuzz targets run their seeds (the conformance vectors, the hand-made
// frames below and the entries under testdata/fuzz) with every go test. CI
// explores further with a short fixed budget per target, for example:
//
//	go test -run '^$' -fuzz '^FuzzDecodeFrame$' -fuzztime 20s .
//	go test -run '^$' -fuzz '^FuzzRoundTrip$' -fuzztime 20s .

// FuzzDecodeFrame feeds DecodeFrame arbitrary bytes. It must never panic,
// must report exactly the first rule of SPEC R1.3 the bytes break (judged by
// wantDecodeKind, written from the SPEC without the decoder's code), and
// every buffer it accepts must encode back to the same bytes and reject each
// of its 256 single-bit flips.
func FuzzDecodeFrame(f *testing.F) {
	for _, tc := range loadVectors(f).Frames {
		wire := tc.ExpectedWire
		if tc.Kind == "decode_error" {
			wire = tc.Wire
		}
		f.Add(unhex(f, wire))
	}
	// Frames with a correct checksum that break several later rules at
	// once (the first one must be reported), and the valid frame with
	// every field at its limit.
	for _, fr := range []Frame{
		{Status: 4, PID: 1, Timestamp: 1<<64 - 1, Nonce: NonceTerminal},
		{Status: StatusOK, PID: 0, Timestamp: 1<<64 - 1, Nonce: NonceTerminal},
		{Status: StatusDegraded, PID: 2, Timestamp: 1<<64 - 1, Nonce: NonceTerminal},
		{Status: StatusCritical, PID: 1<<32 - 1, Timestamp: 1<<64 - 2, Nonce: NonceTerminal, Payload: 1<<32 - 1},
	} {
		var b [FrameBytes]byte
		fr.Encode(&b)
		f.Add(b[:])
	}
	var good [FrameBytes]byte
	Frame{Status: StatusOK, PID: 2, Nonce: 1}.Encode(&good)
	f.Add([]byte(nil))
	f.Add(good[:FrameBytes-1])                    // one byte short
	f.Add(append(good[:], 0))                     // one byte long
	f.Add(make([]byte, FrameBytes))               // zeros: bad magic
	f.Add(bytes.Repeat([]byte{0xff}, FrameBytes)) // ones: bad magic

	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeFrame(b)
		want := wantDecodeKind(b)
		if want == nil {
			if err != nil {
				t.Fatalf("DecodeFrame(%x) = %v, want a frame", b, err)
			}
			var back [FrameBytes]byte
			got.Encode(&back)
			if !bytes.Equal(back[:], b) {
				t.Fatalf("Encode(DecodeFrame(%x)) = %x", b, back)
			}
			if verr := got.Valid(); verr != nil {
				t.Fatalf("DecodeFrame accepted %+v, which Valid rejects: %v", got, verr)
			}
			checkBitFlipsRejected(t, b)
			return
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Kind != want {
			t.Fatalf("DecodeFrame(%x) = %v, want a *DecodeError of kind %v", b, err, want)
		}
		if got != (Frame{}) {
			t.Fatalf("DecodeFrame(%x) returned %+v with its error, want the zero Frame", b, got)
		}
		if err.Error() == "" {
			t.Fatalf("DecodeFrame(%x) returned an error with no text", b)
		}
	})
}

// FuzzRoundTrip builds a frame from arbitrary field values. Encoding it and
// decoding the bytes must give the frame back if Valid accepts it, and
// Valid's error kind otherwise. A valid frame derived from the same fields
// must survive the round trip, and every single-bit flip of its encoding
// must be rejected.
func FuzzRoundTrip(f *testing.F) {
	for _, tc := range loadVectors(f).Frames {
		if tc.Kind != "encode_decode_roundtrip" {
			continue
		}
		in := tc.Inputs
		f.Add(uint8(statusNames[in.Status]), in.PID, in.Timestamp, in.Nonce, in.Payload)
	}
	f.Add(uint8(StatusStall), uint32(2), uint64(0), uint64(1), uint32(0))
	f.Add(uint8(StatusOK), uint32(1), uint64(0), uint64(1), uint32(0))
	f.Add(uint8(StatusDegraded), uint32(2), uint64(1<<64-1), NonceTerminal, uint32(0))
	f.Add(uint8(0xff), uint32(1<<32-1), uint64(1<<64-2), NonceTerminal-1, uint32(1<<32-1))

	f.Fuzz(func(t *testing.T, status uint8, pid uint32, ts, nonce uint64, payload uint32) {
		raw := Frame{Status: Status(status), PID: pid, Timestamp: ts, Nonce: nonce, Payload: payload}
		var b [FrameBytes]byte
		raw.Encode(&b)
		got, err := DecodeFrame(b[:])
		if verr := raw.Valid(); verr != nil {
			var de *DecodeError
			errors.As(verr, &de)
			if !errors.Is(err, de.Kind) {
				t.Fatalf("DecodeFrame(Encode(%+v)) = %v, want %v as Valid says", raw, err, verr)
			}
		} else if err != nil || got != raw {
			t.Fatalf("DecodeFrame(Encode(%+v)) = %+v, %v", raw, got, err)
		}

		valid := validFrom(raw)
		valid.Encode(&b)
		got, err = DecodeFrame(b[:])
		if err != nil || got != valid {
			t.Fatalf("DecodeFrame(Encode(%+v)) = %+v, %v", valid, got, err)
		}
		checkBitFlipsRejected(t, b[:])
	})
}

// validFrom returns a frame every observer accepts, as close to f as the
// rules of SPEC R1.3 allow.
func validFrom(f Frame) Frame {
	f.Status %= StatusStall
	if f.PID <= 1 {
		f.PID += 2
	}
	if f.Timestamp == 1<<64-1 {
		f.Timestamp--
	}
	if f.Nonce == NonceTerminal {
		f.Status = StatusCritical
	}
	return f
}

// checkBitFlipsRejected flips each of the 256 bits of the valid frame b in
// turn and checks that DecodeFrame rejects the result for the right reason:
// a flip in the magic or version is caught there, any other one by the
// checksum (CRC-32C detects every single-bit error).
func checkBitFlipsRejected(t *testing.T, b []byte) {
	t.Helper()
	flipped := bytes.Clone(b)
	for bit := range FrameBytes * 8 {
		i, mask := bit/8, byte(1)<<(bit%8)
		flipped[i] ^= mask
		want := ErrBadCRC
		switch {
		case i < offVersion:
			want = ErrBadMagic
		case i == offVersion:
			want = ErrBadVersion
		}
		if _, err := DecodeFrame(flipped); !errors.Is(err, want) {
			t.Fatalf("flipping bit %d of %x: DecodeFrame = %v, want %v", bit, b, err, want)
		}
		flipped[i] ^= mask
	}
}

// wantDecodeKind returns the sentinel of the first rule of SPEC R1.3 that b
// breaks, or nil for a valid frame. It reads the bytes by the layout of
// SPEC R1.1 and shares no code with the decoder, so that the fuzz targets
// compare the decoder with an independent reading of the SPEC.
func wantDecodeKind(b []byte) error {
	if len(b) != 32 {
		return ErrFrameLength
	}
	le := binary.LittleEndian
	status := b[3]
	switch {
	case b[0] != 0x56 || b[1] != 0x41:
		return ErrBadMagic
	case b[2] != 0x02:
		return ErrBadVersion
	case le.Uint32(b[28:]) != crc32.Checksum(b[:28], crc32.MakeTable(0x82F63B78)):
		return ErrBadCRC
	case status > 3:
		return ErrBadStatus
	case status == 3:
		return ErrStallOnWire
	case le.Uint32(b[4:]) <= 1:
		return ErrBadPID
	case le.Uint64(b[8:]) == 1<<64-1:
		return ErrBadTimestamp
	case le.Uint64(b[16:]) == 1<<64-1 && status != 2:
		return ErrBadNonce
	}
	return nil
}
