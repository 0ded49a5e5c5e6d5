//go:build secureudp

package varta

// Fixtures shared by the secure UDP tests: the test key, the two keying
// modes, a nonce log that fails a test on a reused (key, nonce) pair, and
// the secure UDP variants.

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// secureMode is one of the two ways to key a secure agent.
type secureMode struct {
	name    string
	master  bool
	connect func(string, int, []byte) (*Varta, error)
}

// secureModes are the ways to key a secure agent: a shared key, and a
// master key from which the agent derives its own.
var secureModes = []secureMode{
	{"shared", false, ConnectSecureUDP},
	{"master", true, ConnectSecureUDPWithMaster},
}

// testKey returns a fresh copy of the key testKeyHex spells.
func testKey(t *testing.T) []byte {
	t.Helper()
	key, err := ParseKeyHex(testKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// dialSecure connects an agent keyed as m says to port on 127.0.0.1 and
// closes it at cleanup.
func dialSecure(t *testing.T, m secureMode, port int, key []byte) *Varta {
	t.Helper()
	v, err := m.connect("127.0.0.1", port, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// nonceLog is an observer that opens every frame a secure agent sent with
// OpenSecureFrame or OpenMasterFrame, and fails the test when a (key,
// nonce) pair comes twice (R6.5).
type nonceLog struct {
	t      *testing.T
	key    []byte // shared or master key
	master bool
	seen   map[[4 + chacha20poly1305.NonceSize]byte]bool // the key's pid (0 for a shared key) and the nonce
}

// secureAgentAndLog connects an agent of mode m to a loopback receiver and
// returns the receiver, the agent and the log that opens what arrives, for
// tests that follow every AEAD nonce the agent uses.
func secureAgentAndLog(t *testing.T, m secureMode) (*receiver, *Varta, *nonceLog) {
	t.Helper()
	key := testKey(t)
	r, port := listenUDP(t, "127.0.0.1")
	v := dialSecure(t, m, port, key)
	return r, v, newNonceLog(t, key, m.master)
}

// newNonceLog returns a nonce log that opens frames with key, a master
// key if master is set.
func newNonceLog(t *testing.T, key []byte, master bool) *nonceLog {
	return &nonceLog{t: t, key: key, master: master, seen: make(map[[16]byte]bool)}
}

// iv is where a frame sits in its key's nonce space.
type iv struct {
	prefix  [prefixBytes]byte
	counter uint32
}

// open opens one frame the agent sent for pid and records its nonce, as
// an observer holding only the shared or the master key would: beats and
// terminal frames alike are 60-byte frames opened with the shared key, or
// 64-byte frames opened with the master key (R7.3).
func (l *nonceLog) open(wire []byte, pid uint32) (Frame, iv) {
	l.t.Helper()
	var id [16]byte
	var f Frame
	var err error
	nonce := wire
	if l.master {
		f, err = OpenMasterFrame(l.key, wire)
		copy(id[:4], wire)
		nonce = wire[4:]
	} else {
		f, err = OpenSecureFrame(l.key, wire)
	}
	if err != nil {
		l.t.Fatalf("observer rejects %d-byte frame %x: %v", len(wire), wire, err)
	}
	if f.PID != pid {
		l.t.Fatalf("frame carries pid %d, want %d", f.PID, pid)
	}
	copy(id[4:], nonce[:chacha20poly1305.NonceSize])
	if l.seen[id] {
		l.t.Fatalf("key of pid %d used twice with nonce %x", binary.LittleEndian.Uint32(id[:]), id[4:])
	}
	l.seen[id] = true
	var at iv
	copy(at.prefix[:], nonce)
	at.counter = binary.LittleEndian.Uint32(nonce[prefixBytes:])
	return f, at
}

// udpVariants returns the ways an agent of this build beats over UDP:
// plain frames, and frames sealed with the shared and the master test key.
func udpVariants(t *testing.T) []udpVariant {
	key := testKey(t)
	vs := []udpVariant{plainUDP}
	for _, m := range secureModes {
		beatBytes := SecureFrameBytes
		if m.master {
			beatBytes = MasterFrameBytes
		}
		vs = append(vs, udpVariant{
			name:    "secure-" + m.name,
			connect: func(host string, port int) (*Varta, error) { return m.connect(host, port, key) },
			open: func(t *testing.T, wire []byte, pid uint32) Frame {
				t.Helper()
				f, _ := newNonceLog(t, key, m.master).open(wire, pid)
				return f
			},
			beatBytes:     beatBytes,
			terminalBytes: beatBytes,
		})
	}
	return vs
}

// testKeyHex is the key secure tests use, in the form ParseKeyHex reads.
const testKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// hkdfBytes is HKDF-SHA256 with an empty salt, as every derivation of the
// protocol uses it.
func hkdfBytes(tb testing.TB, ikm, info []byte, n int) []byte {
	tb.Helper()
	b, err := hkdf.Key(sha256.New, ikm, nil, string(info), n)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// hkdfExtract is HKDF-Extract with SHA-256 and an empty salt: the
// pseudorandom key from which HKDF-Expand derives.
func hkdfExtract(tb testing.TB, ikm []byte) []byte {
	tb.Helper()
	b, err := hkdf.Extract(sha256.New, ikm, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// secureVector is one entry of secure_frame_vectors in
// testdata/vlp-test-vectors.json. Its HKDF vectors use an empty HKDF salt,
// whatever the description of kdf-iv-prefix says (SPEC section 8).
type secureVector struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Key          string `json:"key_hex"`
	Master       string `json:"master_key_hex"`
	AgentKey     string `json:"agent_key_hex"`
	PID          uint32 `json:"agent_pid"`
	AgentID      uint32 `json:"agent_id"`
	Epoch        uint64 `json:"epoch"`
	DerivedKey   string `json:"derived_agent_key_hex"`
	IVRandom     string `json:"iv_random_hex"`
	IVCounter    uint32 `json:"iv_counter"`
	Plaintext    string `json:"plaintext_hex"`
	ExpectedWire string `json:"expected_wire_hex"`
	Salt         string `json:"session_salt_hex"`
	PrefixIndex  uint32 `json:"prefix_index"`
	Info         string `json:"info_hex"`
	ExpectedOKM  string `json:"expected_okm_hex"`
	ExpectedIV   string `json:"expected_iv_prefix_hex"`
}

// leaked reports whether out shows any of the secrets as raw bytes, in
// hexadecimal, or as fmt prints a byte array in decimal.
func leaked(out string, secrets [][]byte) bool {
	for _, s := range secrets {
		if strings.Contains(out, string(s)) ||
			strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", s)) ||
			strings.Contains(out, strings.Trim(fmt.Sprint(s), "[]")) {
			return true
		}
	}
	return false
}
