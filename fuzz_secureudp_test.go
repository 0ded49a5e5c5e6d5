//go:build secureudp

package varta

// Fuzz targets of the secure frame openers and of seal then open: never a
// panic, never a forged or flipped frame accepted.

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// The secure fuzz targets run their seeds (the sealing vectors of
// testdata/vlp-test-vectors.json, the hand-made frames below and the
// entries under testdata/fuzz) with every go test -tags secureudp. CI
// explores further with a short fixed budget per target; -fuzz takes one
// target per run:
//
//	go test -tags secureudp -run '^$' -fuzz '^FuzzOpenSecureFrame$' -fuzztime 20s .
//	go test -tags secureudp -run '^$' -fuzz '^FuzzOpenMasterFrame$' -fuzztime 20s .
//	go test -tags secureudp -run '^$' -fuzz '^FuzzSecureSealOpen$' -fuzztime 20s .
//
// The targets judge the package against an independent reading of SPEC
// R6.3: keys derived with crypto/hkdf, frames sealed and opened with
// chacha20poly1305 directly, and plaintexts checked by wantDecodeKind and
// observe, which share no code with the decoder.

// FuzzOpenSecureFrame feeds OpenSecureFrame arbitrary key and wire bytes.
// It must never panic, must return exactly what the independent reading
// gives (the frame, or the first error of key length, frame length,
// authentication and decoding, matching no other error kind), must never
// put the key in an error, and must reject every single-bit flip of a
// frame it opens with ErrAuthentication.
func FuzzOpenSecureFrame(f *testing.F) {
	for _, s := range secureSeeds(f) {
		if !s.master {
			f.Add(s.key, s.wire)
		}
	}
	f.Fuzz(func(t *testing.T, key, wire []byte) {
		got, err := OpenSecureFrame(key, wire)
		want, wantErr := openShared(key, wire)
		checkOpened(t, key, wire, got, err, want, wantErr)
		if o, oerr := NewSecureOpener(key); oerr == nil {
			checkOpenerAgrees(t, o, wire, got, err)
		}
		if err == nil {
			checkSealedBitFlipsRejected(t, wire, func(w []byte) (Frame, error) { return OpenSecureFrame(key, w) })
		}
	})
}

// FuzzOpenMasterFrame is FuzzOpenSecureFrame for OpenMasterFrame (and
// MasterOpener) and 64-byte frames, whose pid in the clear selects the key: flipping a bit of
// it must be rejected too, and a frame naming another pid inside than in
// the clear must fail with ErrPIDMismatch.
func FuzzOpenMasterFrame(f *testing.F) {
	for _, s := range secureSeeds(f) {
		if s.master {
			f.Add(s.key, s.wire)
		}
	}
	f.Fuzz(func(t *testing.T, master, wire []byte) {
		got, err := OpenMasterFrame(master, wire)
		want, wantErr := openMaster(master, wire)
		checkOpened(t, master, wire, got, err, want, wantErr)
		if o, oerr := NewMasterOpener(master); oerr == nil {
			checkOpenerAgrees(t, o, wire, got, err)
		}
		if err == nil {
			checkSealedBitFlipsRejected(t, wire, func(w []byte) (Frame, error) { return OpenMasterFrame(master, w) })
		}
	})
}

// checkOpenerAgrees checks that a new opener opens wire as the stateless
// function did, got and err, and then refuses it as a replay if it opened,
// or refuses it again as it did (its cached cipher, for a MasterOpener,
// opens nothing the derived one would not). It closes the opener.
func checkOpenerAgrees(t *testing.T, o interface {
	Open([]byte) (Frame, error)
	Close() error
}, wire []byte, got Frame, err error) {
	t.Helper()
	defer o.Close()
	for i := range 2 {
		want, wantErr := got, err
		if i == 1 && err == nil {
			want, wantErr = Frame{}, ErrReplay
		}
		f, oerr := o.Open(wire)
		if f != want || (oerr == nil) != (wantErr == nil) || oerr != nil && !errors.Is(oerr, wantErr) && oerr.Error() != wantErr.Error() {
			t.Fatalf("opener, delivery %d: %+v, %v; want %+v, %v", i+1, f, oerr, want, wantErr)
		}
	}
}

// FuzzSecureSealOpen has the secure transport seal a frame of arbitrary
// fields, as a beat at an arbitrary (prefix index, counter) of a session
// with an arbitrary salt, or as a terminal frame with an arbitrary
// terminal counter, with a shared or a master key. What the transport
// sends must be exactly the frame sealed with chacha20poly1305 directly
// under the nonce and key derived with crypto/hkdf; the observer's
// functions must open it to exactly that frame (or, for fields no observer
// accepts, reject it as Frame.Valid does); every single-bit flip of it
// must be rejected with ErrAuthentication; and the session must have moved
// on to the next nonce (R6.4) or terminal counter (R7.3).
func FuzzSecureSealOpen(f *testing.F) {
	for _, s := range secureSeeds(f) {
		if !s.vector {
			continue
		}
		fr := s.plain
		f.Add(s.master, false, s.key, make([]byte, saltBytes), uint32(0), s.counter,
			uint8(fr.Status), fr.PID, fr.Timestamp, fr.Nonce, fr.Payload)
	}
	// The last two counters of a prefix, the last counter of the last
	// prefix (which spends the session), terminal counters up to the
	// last, and frames that observers reject.
	key := bytes.Repeat([]byte{0x5a}, KeyBytes)
	f.Add(false, false, key, []byte("salt"), uint32(9), uint32(lastCounter-1), uint8(StatusDegraded), uint32(7), uint64(1), uint64(2), uint32(3))
	f.Add(false, false, key, []byte("salt"), uint32(9), uint32(lastCounter), uint8(StatusDegraded), uint32(7), uint64(1), uint64(2), uint32(3))
	f.Add(true, false, key, []byte("salt"), uint32(lastIndex), uint32(lastCounter), uint8(StatusOK), uint32(7), uint64(1), uint64(2), uint32(3))
	f.Add(true, true, key, []byte{0xa5}, uint32(0), uint32(lastTerminalCounter), uint8(StatusCritical), uint32(42), uint64(1000), NonceTerminal, uint32(0))
	f.Add(false, true, key, []byte{0xa5}, uint32(0), uint32(7), uint8(StatusCritical), uint32(42), uint64(1000), NonceTerminal, uint32(0))
	f.Add(false, false, []byte(nil), []byte(nil), uint32(0), uint32(0), uint8(StatusStall), uint32(1), uint64(1<<64-1), NonceTerminal, uint32(0))
	f.Add(true, false, key, []byte(nil), uint32(1), uint32(1), uint8(0xff), uint32(0), uint64(0), uint64(0), uint32(0))

	fd, out := datagramPair(f)
	f.Fuzz(func(t *testing.T, master, terminal bool, keyIn, saltIn []byte, index, counter uint32,
		status uint8, pid uint32, ts, nonce uint64, payload uint32) {
		var key [KeyBytes]byte
		copy(key[:], keyIn)
		salt := make([]byte, saltBytes)
		copy(salt, saltIn)
		fr := Frame{Status: Status(status), PID: pid, Timestamp: ts, Nonce: nonce, Payload: payload}
		var plain [FrameBytes]byte
		fr.Encode(&plain)

		tr := newTestTransport(t, fd, &key, master, pid, salt)
		s, iv := tr.s, tr.s.iv

		var sent BeatOutcome
		var aeadNonce []byte // what the nonce must be, derived with crypto/hkdf
		if terminal {
			s.terminal = uint64(counter)
			sent = tr.sendTerminal(&plain)
			info := binary.LittleEndian.AppendUint32([]byte(panicIVLabel), pid)
			info = binary.LittleEndian.AppendUint64(info, ts)
			info = binary.LittleEndian.AppendUint32(info, counter)
			aeadNonce = hkdfBytes(t, salt, info, prefixBytes)
		} else {
			counter %= lastCounter + 1 // the counters a prefix uses
			s.index, s.counter, s.prefix = uint64(index), uint64(counter), iv.ivPrefix(index)
			sent = tr.send(&plain)
			aeadNonce = hkdfBytes(t, salt, binary.LittleEndian.AppendUint32([]byte(ivPrefixLabel), index), prefixBytes)
		}
		aeadNonce = binary.LittleEndian.AppendUint32(aeadNonce, counter)
		if !sent.IsSent() {
			t.Fatalf("send = %v", sent)
		}
		var buf [2 * MasterFrameBytes]byte
		n, err := unix.Read(out, buf[:])
		if err != nil {
			t.Fatalf("reading the sealed frame: %v", err)
		}
		wire := buf[:n]

		// The frame sealed directly: the 64-byte layout for a master-key
		// beat or terminal frame, the 60-byte one otherwise (R7.3).
		sealKey := key[:]
		if master {
			sealKey = hkdfBytes(t, key[:], binary.LittleEndian.AppendUint32([]byte(agentKeyLabel), pid), KeyBytes)
		}
		c, err := chacha20poly1305.New(sealKey)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		if master {
			head := binary.LittleEndian.AppendUint32(nil, pid)
			want = c.Seal(append(head, aeadNonce...), aeadNonce, plain[:], head)
		} else {
			want = c.Seal(append([]byte(nil), aeadNonce...), aeadNonce, plain[:], nil)
		}
		if !bytes.Equal(wire, want) {
			t.Fatalf("transport sent %x\nsealing directly gives %x", wire, want)
		}

		open := func(w []byte) (Frame, error) { return OpenSecureFrame(key[:], w) }
		if master {
			open = func(w []byte) (Frame, error) { return OpenMasterFrame(key[:], w) }
		}
		got, err := open(wire)
		if verr := fr.Valid(); verr != nil {
			var de *DecodeError
			errors.As(verr, &de)
			if !errors.Is(err, de.Kind) || got != (Frame{}) {
				t.Fatalf("opening the sealed %+v = %+v, %v; want %v as Valid says", fr, got, err, verr)
			}
		} else if err != nil || got != fr {
			t.Fatalf("opening the sealed %+v = %+v, %v", fr, got, err)
		}
		checkSealedBitFlipsRejected(t, wire, open)

		// The pair just used is committed: the next one follows it.
		if terminal {
			if s.terminal != uint64(counter)+1 {
				t.Fatalf("after terminal counter %d the session claims %d next", counter, s.terminal)
			}
			return
		}
		wantIndex, wantCounter := uint64(index), uint64(counter)+1
		if counter == lastCounter {
			wantIndex, wantCounter = uint64(index)+1, 0
		}
		if s.index != wantIndex || s.counter != wantCounter {
			t.Fatalf("after (%d, %d) the session is at (%d, %d), want (%d, %d)", index, counter, s.index, s.counter, wantIndex, wantCounter)
		}
		if wantIndex <= lastIndex && s.prefix != iv.ivPrefix(uint32(wantIndex)) {
			t.Fatalf("after (%d, %d) the prefix is not that of index %d", index, counter, wantIndex)
		}
		if s.spent() != (wantIndex > lastIndex) {
			t.Fatalf("after (%d, %d) spent() = %v", index, counter, s.spent())
		}
	})
}

// secureSeed is a sealed frame and the key that opens it, and for a
// sealing vector, the frame and counter it seals.
type secureSeed struct {
	master    bool
	key, wire []byte
	vector    bool
	plain     Frame
	counter   uint32
}

// secureSeeds returns the sealing vectors of testdata/vlp-test-vectors.json
// and hand-made frames: a terminal frame, frames that authenticate but
// hold no valid frame (bad CRC, pid 1, stall status, a master frame
// naming another pid inside), and wrong keys and lengths.
func secureSeeds(tb testing.TB) []secureSeed {
	var seeds []secureSeed
	for _, msg := range loadVectors(tb).Secure {
		var v secureVector
		if err := json.Unmarshal(msg, &v); err != nil {
			tb.Fatal(err)
		}
		if v.Kind != "shared_key_seal" && v.Kind != "master_key_seal" {
			continue
		}
		master := v.Kind == "master_key_seal"
		key := unhex(tb, v.Key)
		if master {
			key = unhex(tb, v.Master)
		}
		plain, err := DecodeFrame(unhex(tb, v.Plaintext))
		if err != nil {
			tb.Fatal(err)
		}
		wire := unhex(tb, v.ExpectedWire)
		seeds = append(seeds, secureSeed{master: master, key: key, wire: wire, vector: true, plain: plain, counter: v.IVCounter})
		wrongKey := bytes.Clone(key)
		wrongKey[31] ^= 0x80
		seeds = append(seeds,
			secureSeed{master: master, key: wrongKey, wire: wire},
			secureSeed{master: master, key: key[:31], wire: wire},
			secureSeed{master: master, key: key, wire: wire[:len(wire)-1]},
			secureSeed{master: master, key: key, wire: append(bytes.Clone(wire), 0)},
			secureSeed{master: master, key: key, wire: nil},
		)
	}

	key := bytes.Repeat([]byte{0xc3}, KeyBytes)
	nonce := []byte("twelve bytes")
	encode := func(fr Frame, badCRC bool) []byte {
		var b [FrameBytes]byte
		fr.Encode(&b)
		if badCRC {
			b[offCRC] ^= 1
		}
		return b[:]
	}
	for _, plain := range [][]byte{
		encode(Frame{Status: StatusCritical, PID: 42, Timestamp: 1000, Nonce: NonceTerminal}, false),
		encode(Frame{Status: StatusOK, PID: 42, Timestamp: 1, Nonce: 1}, true),
		encode(Frame{Status: StatusOK, PID: 1, Timestamp: 1, Nonce: 1}, false),
		encode(Frame{Status: StatusStall, PID: 42, Timestamp: 1, Nonce: 1}, false),
	} {
		c, _ := chacha20poly1305.New(key)
		seeds = append(seeds, secureSeed{key: key, wire: c.Seal(bytes.Clone(nonce), nonce, plain, nil)})
		head := binary.LittleEndian.AppendUint32(nil, 42)
		c, _ = chacha20poly1305.New(hkdfBytes(tb, key, append([]byte(agentKeyLabel), head...), KeyBytes))
		seeds = append(seeds, secureSeed{master: true, key: key, wire: c.Seal(append(head, nonce...), nonce, plain, head)})
	}
	// Sealed with the key of pid 43, naming 43 in the clear, 42 inside.
	head := binary.LittleEndian.AppendUint32(nil, 43)
	c, _ := chacha20poly1305.New(hkdfBytes(tb, key, append([]byte(agentKeyLabel), head...), KeyBytes))
	plain := encode(Frame{Status: StatusOK, PID: 42, Timestamp: 1, Nonce: 1}, false)
	seeds = append(seeds, secureSeed{master: true, key: key, wire: c.Seal(append(head, nonce...), nonce, plain, head)})
	return seeds
}

// openShared opens a 60-byte frame by SPEC R6.3 without the package's
// code: the frame inside, or the kind of error the package must return.
func openShared(key, wire []byte) (Frame, error) {
	switch {
	case len(key) != KeyBytes:
		return Frame{}, ErrKeyLength
	case len(wire) != SecureFrameBytes:
		return Frame{}, ErrSecureFrameLength
	}
	c, err := chacha20poly1305.New(key)
	if err != nil {
		return Frame{}, err
	}
	plain, err := c.Open(nil, wire[:12], wire[12:], nil)
	if err != nil {
		return Frame{}, ErrAuthentication
	}
	return decodeIndependently(plain)
}

// openMaster is openShared for 64-byte master-key frames.
func openMaster(master, wire []byte) (Frame, error) {
	switch {
	case len(master) != KeyBytes:
		return Frame{}, ErrKeyLength
	case len(wire) != MasterFrameBytes:
		return Frame{}, ErrSecureFrameLength
	}
	info := append([]byte("varta-agent-v1\x00"), wire[:4]...)
	key, err := hkdf.Key(sha256.New, master, nil, string(info), KeyBytes)
	if err != nil {
		return Frame{}, err
	}
	c, err := chacha20poly1305.New(key)
	if err != nil {
		return Frame{}, err
	}
	plain, err := c.Open(nil, wire[4:16], wire[16:], wire[:4])
	if err != nil {
		return Frame{}, ErrAuthentication
	}
	f, err := decodeIndependently(plain)
	if err == nil && f.PID != binary.LittleEndian.Uint32(wire) {
		return Frame{}, ErrPIDMismatch
	}
	return f, err
}

// decodeIndependently reads a plaintext with wantDecodeKind and observe,
// which share no code with DecodeFrame.
func decodeIndependently(plain []byte) (Frame, error) {
	if kind := wantDecodeKind(plain); kind != nil {
		return Frame{}, kind
	}
	o, err := observe(plain)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Status: Status(o.status), PID: o.pid, Timestamp: o.timestamp, Nonce: o.nonce, Payload: o.payload}, nil
}

// openErrorKinds are the errors an open function may match; each error
// must match exactly one.
var openErrorKinds = []error{
	ErrKeyLength, ErrSecureFrameLength, ErrAuthentication, ErrPIDMismatch,
	ErrFrameLength, ErrBadMagic, ErrBadVersion, ErrBadCRC, ErrBadStatus,
	ErrStallOnWire, ErrBadPID, ErrBadTimestamp, ErrBadNonce,
}

// checkOpened compares what an open function returned with what the
// independent reading says it must.
func checkOpened(t *testing.T, key, wire []byte, got Frame, err error, want Frame, wantErr error) {
	t.Helper()
	if wantErr == nil {
		if err != nil || got != want {
			t.Fatalf("opening %x = %+v, %v; want %+v", wire, got, err, want)
		}
		return
	}
	if !errors.Is(err, wantErr) || got != (Frame{}) {
		t.Fatalf("opening %x = %+v, %v; want %v", wire, got, err, wantErr)
	}
	for _, kind := range openErrorKinds {
		if kind != wantErr && errors.Is(err, kind) {
			t.Fatalf("opening %x: error %v matches %v too", wire, err, kind)
		}
	}
	if len(key) == KeyBytes && strings.Contains(strings.ToLower(err.Error()), hex.EncodeToString(key)) {
		t.Fatalf("error %q contains the key", err)
	}
}

// checkSealedBitFlipsRejected flips each bit of a sealed frame that open
// accepts, in turn, and checks that open rejects every result with
// ErrAuthentication: the tag covers the nonce, the ciphertext and, in the
// master-key layout, the pid in the clear (which also selects the key).
func checkSealedBitFlipsRejected(t *testing.T, wire []byte, open func([]byte) (Frame, error)) {
	t.Helper()
	flipped := bytes.Clone(wire)
	for bit := range len(wire) * 8 {
		i, mask := bit/8, byte(1)<<(bit%8)
		flipped[i] ^= mask
		if f, err := open(flipped); !errors.Is(err, ErrAuthentication) || f != (Frame{}) {
			t.Fatalf("flipping bit %d of %x: opened %+v, %v; want ErrAuthentication", bit, wire, f, err)
		}
		flipped[i] ^= mask
	}
}

// datagramPair returns the two ends of a non-blocking Unix datagram
// socket pair, closed at cleanup: a transport sends on the first, and the
// test reads what it sent from the second.
func datagramPair(tb testing.TB) (int, int) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			tb.Fatal(err)
		}
	}
	return fds[0], fds[1]
}
