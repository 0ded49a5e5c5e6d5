//go:build secureudp

package varta

// Proves that secure frames, terminal prefixes, IV derivation and agent
// keys match the conformance vectors and HKDF.

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func key32(t *testing.T, s string) *[KeyBytes]byte {
	t.Helper()
	b := unhex(t, s)
	if len(b) != KeyBytes {
		t.Fatalf("vector key is %d bytes", len(b))
	}
	return (*[KeyBytes]byte)(b)
}

// vectorTransport returns a secure transport whose session seals under
// the given prefix and counter, with its socket writing into the returned
// receiver, so a vector is checked against what the transport sends.
func vectorTransport(t *testing.T, key *[KeyBytes]byte, master bool, pid uint32, salt []byte) (testTransport, *receiver) {
	t.Helper()
	fd, r := socketPair(t)
	tr := newTestTransport(t, fd, key, master, pid, salt)
	t.Cleanup(func() { tr.close() })
	return tr, r
}

func TestConformanceSecureFrames(t *testing.T) {
	raw := loadVectors(t).Secure
	if len(raw) != 5 {
		t.Fatalf("conformance file has %d secure vectors, want 5", len(raw))
	}
	for _, msg := range raw {
		var tc secureVector
		if err := json.Unmarshal(msg, &tc); err != nil {
			t.Fatal(err)
		}
		t.Run(tc.ID, func(t *testing.T) {
			switch tc.Kind {
			case "shared_key_seal", "master_key_seal":
				master := tc.Kind == "master_key_seal"
				key := tc.Key
				if master {
					key = tc.Master
					derived, err := AgentKey(unhex(t, tc.Master), tc.PID)
					if err != nil || hex.EncodeToString(derived) != tc.DerivedKey {
						t.Fatalf("AgentKey = %x, %v; want %s", derived, err, tc.DerivedKey)
					}
				}
				tr, r := vectorTransport(t, key32(t, key), master, tc.PID, make([]byte, saltBytes))
				copy(tr.s.prefix[:], unhex(t, tc.IVRandom))
				tr.s.counter = uint64(tc.IVCounter)
				frame := (*[FrameBytes]byte)(unhex(t, tc.Plaintext))
				if out := tr.send(frame); !out.IsSent() {
					t.Fatalf("send: %v", out)
				}
				wire := r.recv()
				if got := hex.EncodeToString(wire); got != tc.ExpectedWire {
					t.Fatalf("sent %s\n want %s", got, tc.ExpectedWire)
				}
				var f Frame
				var err error
				if master {
					f, err = OpenMasterFrame(unhex(t, tc.Master), wire)
				} else {
					f, err = OpenSecureFrame(unhex(t, tc.Key), wire)
				}
				want, _ := DecodeFrame(frame[:])
				if err != nil || f != want {
					t.Fatalf("observer opened %+v, %v; want %+v", f, err, want)
				}
			case "kdf_agent_key":
				info := append([]byte(agentKeyLabel), binary.LittleEndian.AppendUint32(nil, tc.AgentID)...)
				if got := hex.EncodeToString(info); got != tc.Info {
					t.Fatalf("info %s, want %s", got, tc.Info)
				}
				key, err := AgentKey(unhex(t, tc.Master), tc.AgentID)
				if err != nil || hex.EncodeToString(key) != tc.ExpectedOKM {
					t.Fatalf("AgentKey = %x, %v; want %s", key, err, tc.ExpectedOKM)
				}
			case "kdf_iv_prefix":
				info := append([]byte(ivPrefixLabel), binary.LittleEndian.AppendUint32(nil, tc.PrefixIndex)...)
				if got := hex.EncodeToString(info); got != tc.Info {
					t.Fatalf("info %s, want %s", got, tc.Info)
				}
				iv := newIVDeriver(unhex(t, tc.Salt))
				if got := iv.ivPrefix(tc.PrefixIndex); hex.EncodeToString(got[:]) != tc.ExpectedIV {
					t.Fatalf("ivPrefix(%d) = %x, want %s", tc.PrefixIndex, got, tc.ExpectedIV)
				}
			case "kdf_epoch_key":
				// No frame uses epoch keys yet; checking the vector pins the
				// convention every HKDF of the protocol shares: an empty salt.
				info := append([]byte("varta-epoch-v1\x00"), binary.LittleEndian.AppendUint64(nil, tc.Epoch)...)
				if got := hex.EncodeToString(info); got != tc.Info {
					t.Fatalf("info %s, want %s", got, tc.Info)
				}
				okm, err := hkdf.Key(sha256.New, unhex(t, tc.AgentKey), nil, string(info), KeyBytes)
				if err != nil || hex.EncodeToString(okm) != tc.ExpectedOKM {
					t.Fatalf("epoch key = %x, %v; want %s", okm, err, tc.ExpectedOKM)
				}
			default:
				t.Fatalf("unknown vector kind %q", tc.Kind)
			}
		})
	}
}

// TestTerminalPrefixVector checks the R7.3 derivation against the vector
// of SPEC section 8, and the terminal frame the transport sends with it.
func TestTerminalPrefixVector(t *testing.T) {
	const want = "e2615ed3e4f44375"
	salt := bytes.Repeat([]byte{0xA5}, saltBytes)
	iv := newIVDeriver(salt)
	if got := iv.panicPrefix(42, 1000, 7); hex.EncodeToString(got[:]) != want {
		t.Fatalf("panicPrefix(42, 1000, 7) = %x, want %s", got, want)
	}

	key := key32(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	for _, master := range []bool{false, true} {
		tr, r := vectorTransport(t, key, master, 42, salt)
		tr.s.terminal = 7
		var frame [FrameBytes]byte
		Frame{Status: StatusCritical, PID: 42, Timestamp: 1000, Nonce: NonceTerminal}.Encode(&frame)
		if out := tr.sendTerminal(&frame); !out.IsSent() {
			t.Fatalf("sendTerminal: %v", out)
		}
		wire := r.recv()
		// A master-key terminal frame is the 64-byte layout: the pid in
		// the clear, then the nonce (R7.3).
		head, open := "", func(w []byte) (Frame, error) { return OpenSecureFrame(key[:], w) }
		if master {
			head = "2a000000"
			open = func(w []byte) (Frame, error) { return OpenMasterFrame(key[:], w) }
		}
		if !strings.HasPrefix(hex.EncodeToString(wire), head+want+"07000000") {
			t.Fatalf("master=%v: terminal frame of %d bytes starts %x, want %s%s07000000", master, len(wire), wire[:16], head, want)
		}
		if f, err := open(wire); err != nil || f.Nonce != NonceTerminal || f.PID != 42 || f.Timestamp != 1000 {
			t.Fatalf("master=%v: observer opened %+v, %v", master, f, err)
		}
	}
}

// TestIVDerivationMatchesHKDF cross-checks the precomputed-HMAC
// derivation of regular and terminal IV prefixes against crypto/hkdf.Key
// for random salts and inputs.
func TestIVDerivationMatchesHKDF(t *testing.T) {
	for range 200 {
		var in [saltBytes + 4 + 4 + 8 + 4]byte
		rand.Read(in[:])
		salt := in[:saltBytes]
		index := binary.LittleEndian.Uint32(in[16:])
		pid := binary.LittleEndian.Uint32(in[20:])
		ts := binary.LittleEndian.Uint64(in[24:])
		counter := binary.LittleEndian.Uint32(in[32:])
		iv := newIVDeriver(salt)
		// Interleave the two derivations on one deriver, as a session does.
		for range 2 {
			info := append([]byte(ivPrefixLabel), binary.LittleEndian.AppendUint32(nil, index)...)
			want, _ := hkdf.Key(sha256.New, salt, nil, string(info), prefixBytes)
			if got := iv.ivPrefix(index); !bytes.Equal(got[:], want) {
				t.Fatalf("salt %x: ivPrefix(%d) = %x, hkdf.Key gives %x", salt, index, got, want)
			}
			info = append([]byte(panicIVLabel), binary.LittleEndian.AppendUint32(nil, pid)...)
			info = binary.LittleEndian.AppendUint64(info, ts)
			info = binary.LittleEndian.AppendUint32(info, counter)
			want, _ = hkdf.Key(sha256.New, salt, nil, string(info), prefixBytes)
			if got := iv.panicPrefix(pid, ts, counter); !bytes.Equal(got[:], want) {
				t.Fatalf("salt %x: panicPrefix(%d, %d, %d) = %x, hkdf.Key gives %x", salt, pid, ts, counter, got, want)
			}
		}
	}
}

// TestAgentKeyMatchesHKDF cross-checks the agent key derivation, which
// computes HKDF-SHA256 in buffers of its own, against crypto/hkdf.Key for
// random master keys and pids (R6.3).
func TestAgentKeyMatchesHKDF(t *testing.T) {
	for range 200 {
		var in [KeyBytes + 4]byte
		rand.Read(in[:])
		master, pid := in[:KeyBytes], binary.LittleEndian.Uint32(in[KeyBytes:])
		info := append([]byte(agentKeyLabel), binary.LittleEndian.AppendUint32(nil, pid)...)
		want, err := hkdf.Key(sha256.New, master, nil, string(info), KeyBytes)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := AgentKey(master, pid); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("master %x, pid %d: AgentKey = %x, %v; hkdf.Key gives %x", master, pid, got, err, want)
		}
	}
}
