//go:build secureudp

package varta

// Proves the observer side of secure UDP: master frames are checked for
// their inner pid after authentication, MasterOpener opens what
// OpenMasterFrame opens and is safe for concurrent use, and key holders
// print redacted.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/crypto/chacha20poly1305"
)

// sealMaster seals plain as a frame of the master-key layout that carries
// pid in the clear, under the key derived from master for keyPID, with
// crypto/hkdf and chacha20poly1305 used directly.
func sealMaster(t *testing.T, master []byte, pid, keyPID uint32, nonce byte, plain Frame) []byte {
	t.Helper()
	var p [FrameBytes]byte
	plain.Encode(&p)
	k := hkdfBytes(t, master, binary.LittleEndian.AppendUint32([]byte(agentKeyLabel), keyPID), KeyBytes)
	aead, err := chacha20poly1305.New(k)
	if err != nil {
		t.Fatal(err)
	}
	head := binary.LittleEndian.AppendUint32(nil, pid)
	n := bytes.Repeat([]byte{nonce}, chacha20poly1305.NonceSize)
	return aead.Seal(append(head, n...), n, p[:], head)
}

// TestOpenMasterFrameChecksTheInnerPIDAfterAuthentication pins the order
// of OpenMasterFrame's checks, and MasterOpener's: the pid in the clear
// selects the key and is authenticated, so changing it fails
// authentication; only a frame that authenticates is compared with the pid
// inside it, and one sealed by a holder of the master key for pid 5001
// around a frame naming 5000 fails with ErrPIDMismatch, not
// ErrAuthentication.
func TestOpenMasterFrameChecksTheInnerPIDAfterAuthentication(t *testing.T) {
	master := testKey(t)
	opener, err := NewMasterOpener(master)
	if err != nil {
		t.Fatal(err)
	}
	defer opener.Close()
	inner := Frame{Status: StatusOK, PID: 5000, Timestamp: 9, Nonce: 1}
	good := sealMaster(t, master, 5000, 5000, 1, inner)
	mismatch := sealMaster(t, master, 5001, 5001, 2, inner)
	relabelled := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(relabelled, 5001)

	for name, open := range map[string]func([]byte) (Frame, error){
		"OpenMasterFrame": func(w []byte) (Frame, error) { return OpenMasterFrame(master, w) },
		"MasterOpener":    opener.Open,
	} {
		if f, err := open(good); err != nil || f != inner {
			t.Fatalf("%s: good frame: %+v, %v", name, f, err)
		}
		if f, err := open(relabelled); !errors.Is(err, ErrAuthentication) || errors.Is(err, ErrPIDMismatch) || f != (Frame{}) {
			t.Fatalf("%s: frame relabelled with pid 5001: %+v, %v; want ErrAuthentication", name, f, err)
		}
		_, err := open(mismatch)
		if !errors.Is(err, ErrPIDMismatch) || errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "prefix says 5001, frame says 5000") {
			t.Fatalf("%s: frame sealed for pid 5001 naming 5000: %v; want ErrPIDMismatch", name, err)
		}
	}
}

// TestMasterOpenerOpensWhatOpenMasterFrameOpens checks the opener against
// OpenMasterFrame on frames of many pids, on forged frames and on frames
// of other lengths: the first delivery of each gives what OpenMasterFrame
// gives, a second one of a genuine frame is a replay, and only pids whose
// frames authenticated are remembered. After Close, nothing is left.
func TestMasterOpenerOpensWhatOpenMasterFrameOpens(t *testing.T) {
	master := testKey(t)
	o, err := NewMasterOpener(master)
	if err != nil {
		t.Fatal(err)
	}
	clear(master) // the opener keeps its own form of the key
	master = testKey(t)

	var frames [][]byte
	for pid := uint32(2); pid < 130; pid++ {
		frames = append(frames, sealMaster(t, master, pid, pid, byte(pid), Frame{Status: StatusOK, PID: pid, Timestamp: 1, Nonce: uint64(pid)}))
	}
	forged := append([]byte(nil), frames[0]...)
	binary.LittleEndian.PutUint32(forged, 99_999)
	inputs := append(append([][]byte(nil), frames...), forged, frames[1][:MasterFrameBytes-1], nil, append(frames[2], 0))
	for round := range 2 {
		for i, w := range inputs {
			want, wantErr := OpenMasterFrame(master, w)
			got, err := o.Open(w)
			if round == 1 && wantErr == nil {
				want, wantErr = Frame{}, ErrReplay
			}
			if got != want || (err == nil) != (wantErr == nil) || err != nil && !errors.Is(err, wantErr) && err.Error() != wantErr.Error() {
				t.Fatalf("round %d, input %d: opener gives %+v, %v; want %+v, %v", round, i, got, err, want, wantErr)
			}
		}
	}
	if len(o.seen.pids) != len(frames) || o.seen.pids[99_999] != nil {
		t.Fatalf("the opener remembers %d pids (forged pid 99999 among them: %v), want the %d genuine ones",
			len(o.seen.pids), o.seen.pids[99_999] != nil, len(frames))
	}

	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if o.prk.b != nil || o.seen.pids != nil || o.seen.newest != nil {
		t.Fatal("Close left the key, ciphers or the replay memory behind")
	}
	if _, err := o.Open(frames[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open after Close: %v, want ErrClosed", err)
	}
	if err := o.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
	var nilOpener *MasterOpener
	if _, err := nilOpener.Open(frames[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open on a nil opener: %v, want ErrClosed", err)
	}
	if o, err := NewMasterOpener(master[:31]); o != nil || !errors.Is(err, ErrKeyLength) {
		t.Fatalf("31-byte master key: %v, %v; want ErrKeyLength", o, err)
	}
}

// TestSecureOpenerOpensWhatOpenSecureFrameOpens is the same check for the
// shared-key opener, whose memory is keyed by the pid inside each frame.
func TestSecureOpenerOpensWhatOpenSecureFrameOpens(t *testing.T) {
	key := testKey(t)
	o, err := NewSecureOpener(key)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for pid := uint32(2); pid < 130; pid++ {
		frames = append(frames, newReplayAgent(key, false, pid).beat().wire)
	}
	clear(key) // the opener's cipher keeps its own copy
	key = testKey(t)
	forged := bytes.Clone(frames[0])
	forged[20] ^= 1
	inputs := append(append([][]byte(nil), frames...), forged, frames[1][:SecureFrameBytes-1], nil, append(frames[2], 0))
	for round := range 2 {
		for i, w := range inputs {
			want, wantErr := OpenSecureFrame(key, w)
			got, err := o.Open(w)
			if round == 1 && wantErr == nil {
				want, wantErr = Frame{}, ErrReplay
			}
			if got != want || (err == nil) != (wantErr == nil) || err != nil && !errors.Is(err, wantErr) && err.Error() != wantErr.Error() {
				t.Fatalf("round %d, input %d: opener gives %+v, %v; want %+v, %v", round, i, got, err, want, wantErr)
			}
		}
	}
	if len(o.seen.pids) != len(frames) {
		t.Fatalf("the opener remembers %d pids, want %d", len(o.seen.pids), len(frames))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if o.aead != nil || o.seen.pids != nil {
		t.Fatal("Close left the cipher or the replay memory behind")
	}
	if _, err := o.Open(frames[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open after Close: %v, want ErrClosed", err)
	}
	if err := o.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
	var zero SecureOpener
	if _, err := zero.Open(frames[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open on the zero opener: %v, want ErrClosed", err)
	}
	if o, err := NewSecureOpener(key[:31]); o != nil || !errors.Is(err, ErrKeyLength) {
		t.Fatalf("31-byte key: %v, %v; want ErrKeyLength", o, err)
	}
}

// TestMasterTerminalFrameForAnotherPIDIsNotSent gives a master-key
// transport whose cipher holds the key of pid 42 a terminal frame naming
// pid 43, as a fork not yet recovered from would: no observer could open
// it (R7.3), so it is refused and nothing leaves, and its terminal counter
// is not claimed.
func TestMasterTerminalFrameForAnotherPIDIsNotSent(t *testing.T) {
	fd, r := socketPair(t)
	tr := newTestTransport(t, fd, (*[KeyBytes]byte)(testKey(t)), true, 42, make([]byte, saltBytes))
	var frame [FrameBytes]byte
	Frame{Status: StatusCritical, PID: 43, Timestamp: 1, Nonce: NonceTerminal}.Encode(&frame)
	if out := tr.sendTerminal(&frame); out != failed(errInvalid, opTerminalStaleKey) || !strings.Contains(out.Err().Error(), "fork") {
		t.Fatalf("terminal frame for pid 43 = %v, want Failed saying the pid changed", out)
	}
	r.expectNothing()
	if tr.s.terminal != 0 {
		t.Fatalf("refused terminal frame claimed counter %d", tr.s.terminal)
	}
	Frame{Status: StatusCritical, PID: 42, Timestamp: 1, Nonce: NonceTerminal}.Encode(&frame)
	if out := tr.sendTerminal(&frame); !out.IsSent() {
		t.Fatalf("terminal frame for pid 42 = %v", out)
	}
	if f, err := OpenMasterFrame(testKey(t), r.recv()); err != nil || f.PID != 42 || f.Nonce != NonceTerminal {
		t.Fatalf("observer opened %+v, %v", f, err)
	}
}

// TestKeyHoldersPrintRedacted prints the secure agent and every type that
// holds a key, the openers included, with each fmt verb, and walks them as a deep printer does,
// following pointers, interfaces and unexported fields but honouring
// String and GoString methods: neither the key, nor the derived key, nor
// their hexadecimal or decimal forms may appear. The same walk ignoring
// the methods must find the keys, or it proves nothing.
func TestKeyHoldersPrintRedacted(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			v.Beat(StatusOK, 0)
			r.recv()
			opener, err := NewMasterOpener(key)
			if err != nil {
				t.Fatal(err)
			}
			defer opener.Close()
			if _, err := opener.Open(sealMaster(t, key, 77, 77, 1, Frame{Status: StatusOK, PID: 77, Timestamp: 1, Nonce: 1})); err != nil {
				t.Fatal(err)
			}
			sharedOpener, err := NewSecureOpener(key)
			if err != nil {
				t.Fatal(err)
			}
			defer sharedOpener.Close()
			if _, err := sharedOpener.Open(newReplayAgent(key, false, 77).beat().wire); err != nil {
				t.Fatal(err)
			}
			tr := v.secure()
			derived, _ := AgentKey(key, 77)
			secrets := [][]byte{key, derived}
			if m.master {
				own, _ := AgentKey(key, tr.aeadPID)
				secrets = append(secrets, own)
			}

			holders := map[string]any{"agent": v, "transport": tr, "session": tr.s, "key": tr.key, "opener": opener, "shared-opener": sharedOpener}
			for name, h := range holders {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
					out := fmt.Sprintf(verb, h)
					if leaked(out, secrets) {
						t.Errorf("%s printed with %s shows a key: %s", name, verb, out)
					}
				}
				if leaked(deepPrint(reflect.ValueOf(h), true), secrets) {
					t.Errorf("%s: a deep printer honouring String and GoString finds a key", name)
				}
			}
			if !leaked(deepPrint(reflect.ValueOf(v), false), secrets[:1]) {
				t.Fatal("the deep walk ignoring methods finds no key in the agent: it does not reach what it should")
			}
			if !leaked(deepPrint(reflect.ValueOf(opener), false), secrets[1:2]) {
				t.Fatal("the deep walk ignoring methods finds no derived key in the opener")
			}
			if !leaked(deepPrint(reflect.ValueOf(sharedOpener), false), secrets[:1]) {
				t.Fatal("the deep walk ignoring methods finds no key in the shared-key opener")
			}
		})
	}
}

// deepPrint renders v as a deep printer does (go-spew, for one): it
// follows pointers, interfaces, slices, maps and every struct field,
// exported or not; with methods set, it stops at a value whose type (or
// pointer type) has a String or GoString method and prints its result, as
// such printers do by default. Pointers already visited print once.
func deepPrint(v reflect.Value, methods bool) string {
	var b strings.Builder
	seen := map[uintptr]bool{}
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		if !v.IsValid() {
			return
		}
		v = reachable(v)
		if methods {
			if s, ok := printedByMethod(v); ok {
				b.WriteString(s)
				return
			}
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem())
		case reflect.Interface:
			walk(v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Array, reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				for i := range v.Len() {
					b.WriteByte(byte(v.Index(i).Uint()))
				}
				return
			}
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key())
				walk(it.Value())
			}
		default:
			fmt.Fprint(&b, " ")
		}
	}
	walk(v)
	return b.String()
}

// printedByMethod returns what v's String or GoString method prints, if
// its type or its pointer type has one.
func printedByMethod(v reflect.Value) (string, bool) {
	candidates := []reflect.Value{v}
	if v.CanAddr() {
		candidates = append(candidates, v.Addr())
	}
	for _, c := range candidates {
		if c.Kind() == reflect.Pointer && c.IsNil() {
			continue
		}
		for _, name := range []string{"GoString", "String"} {
			if m := c.MethodByName(name); m.IsValid() {
				return m.Call(nil)[0].String(), true
			}
		}
	}
	return "", false
}

// reachable returns v in a form whose methods can be called and whose
// contents can be read, even when it was reached through an unexported
// field, as printers that bypass the export rule (go-spew) do.
func reachable(v reflect.Value) reflect.Value {
	switch {
	case v.CanInterface():
		return v
	case v.CanAddr():
		return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	case v.Kind() == reflect.Pointer:
		return reflect.NewAt(v.Type().Elem(), v.UnsafePointer())
	}
	return v
}
