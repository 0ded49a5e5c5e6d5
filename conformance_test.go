package varta

// Proves that the frame codec and CRC-32C agree with the conformance
// vectors of testdata/vlp-test-vectors.json.

import (
	"encoding/hex"
	"errors"
	"testing"
)

// decodeErrorKinds maps the vector file's error names to our sentinels.
var decodeErrorKinds = map[string]error{
	"BadMagic":     ErrBadMagic,
	"BadVersion":   ErrBadVersion,
	"BadCrc":       ErrBadCRC,
	"BadStatus":    ErrBadStatus,
	"StallOnWire":  ErrStallOnWire,
	"BadPid":       ErrBadPID,
	"BadTimestamp": ErrBadTimestamp,
	"BadNonce":     ErrBadNonce,
}

func TestConformanceCRC32C(t *testing.T) {
	v := loadVectors(t)
	if len(v.CRC32C) != 5 {
		t.Fatalf("conformance file has %d CRC vectors, want 5", len(v.CRC32C))
	}
	for _, tc := range v.CRC32C {
		t.Run(tc.ID, func(t *testing.T) {
			got := Checksum(unhex(t, tc.Input))
			want := unhex(t, tc.Expected)
			wantSum := uint32(want[0])<<24 | uint32(want[1])<<16 | uint32(want[2])<<8 | uint32(want[3])
			if got != wantSum {
				t.Fatalf("CRC-32C = %08x, want %s", got, tc.Expected)
			}
		})
	}
}

func TestConformanceFrames(t *testing.T) {
	v := loadVectors(t)
	if len(v.Frames) != 15 {
		t.Fatalf("conformance file has %d frame vectors, want 15", len(v.Frames))
	}
	for _, tc := range v.Frames {
		t.Run(tc.ID, func(t *testing.T) {
			switch tc.Kind {
			case "encode_decode_roundtrip":
				status, ok := statusNames[tc.Inputs.Status]
				if !ok {
					t.Fatalf("unknown status %q in vector", tc.Inputs.Status)
				}
				f := Frame{Status: status, PID: tc.Inputs.PID, Timestamp: tc.Inputs.Timestamp, Nonce: tc.Inputs.Nonce, Payload: tc.Inputs.Payload}
				var wire [FrameBytes]byte
				f.Encode(&wire)
				if got := hex.EncodeToString(wire[:]); got != tc.ExpectedWire {
					t.Fatalf("Encode = %s\n            want %s", got, tc.ExpectedWire)
				}
				back, err := DecodeFrame(unhex(t, tc.ExpectedWire))
				if err != nil {
					t.Fatalf("DecodeFrame: %v", err)
				}
				if back != f {
					t.Fatalf("DecodeFrame = %+v, want %+v", back, f)
				}
			case "decode_error":
				want, ok := decodeErrorKinds[tc.Error]
				if !ok {
					t.Fatalf("unknown error kind %q in vector", tc.Error)
				}
				_, err := DecodeFrame(unhex(t, tc.Wire))
				if !errors.Is(err, want) {
					t.Fatalf("DecodeFrame error = %v, want %v", err, want)
				}
				for _, other := range decodeErrorKinds {
					if other != want && errors.Is(err, other) {
						t.Fatalf("DecodeFrame error %v also matches %v", err, other)
					}
				}
			default:
				t.Fatalf("unknown vector kind %q", tc.Kind)
			}
		})
	}
}
