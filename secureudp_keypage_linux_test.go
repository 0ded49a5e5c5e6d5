//go:build secureudp && linux

package varta

// Proves that the package's own key copies live in pages that a core dump
// leaves out (MADV_DONTDUMP), and that wiping a key gives its slot back.

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestKeyPagesAreLeftOutOfCoreDumps finds, in /proc/self/smaps, the
// mapping that holds each live key copy of the package: a shared-key
// agent's key, a master-key agent's master key and a MasterOpener's
// HKDF-Extract of its master key. Its VmFlags carry dd (MADV_DONTDUMP: not in a core dump).
// Close wipes each copy and gives its slot back.
func TestKeyPagesAreLeftOutOfCoreDumps(t *testing.T) {
	r, port := listenUDP(t, "127.0.0.1")
	var copies []*secretKey
	for _, m := range secureModes {
		v := dialSecure(t, m, port, testKey(t))
		v.Beat(StatusOK, 0)
		r.recv()
		copies = append(copies, &v.secure().key)
		defer v.Close()
	}
	o, err := NewMasterOpener(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	copies = append(copies, &o.prk)
	for _, k := range copies {
		flags := vmFlags(t, uintptr(unsafe.Pointer(k.b)))
		t.Logf("the page of a key at %p: VmFlags: %s", k.b, strings.Join(flags, " "))
		if !slices.Contains(flags, "dd") {
			skipCore(t, "the page of a key at %p lacks the dd flag (VmFlags: %s): this system refused MADV_DONTDUMP, or accepts and ignores it (user-mode emulation)", k.b, strings.Join(flags, " "))
		}
	}
}

// TestWipedKeySlotsAreReused wipes 300 keys, more than a page holds, and
// makes 300 again: the new keys take the slots the old ones gave back, so
// that no page is mapped for them, and each wipe leaves its slot zeroed
// and its secretKey holding nothing.
func TestWipedKeySlotsAreReused(t *testing.T) {
	key := testKey(t)
	keys := make([]secretKey, 300)
	for i := range keys {
		keys[i] = newSecretKey(key)
	}
	for i := range keys {
		b := keys[i].b
		keys[i].wipe()
		keys[i].wipe() // a second wipe does nothing
		if keys[i].b != nil || *b != ([KeyBytes]byte{}) {
			t.Fatal("wipe left the key, or its secretKey still points at its slot")
		}
	}
	keySlots.mu.Lock()
	pages := len(keySlots.pages)
	keySlots.mu.Unlock()
	for i := range keys {
		keys[i] = newSecretKey(key)
	}
	keySlots.mu.Lock()
	after := len(keySlots.pages)
	keySlots.mu.Unlock()
	for i := range keys {
		keys[i].wipe()
	}
	if after != pages {
		t.Fatalf("%d key pages mapped before, %d after making as many keys as were wiped: wiped slots are not reused", pages, after)
	}
}

// vmFlags returns the VmFlags, from /proc/self/smaps, of the mapping that
// holds addr.
func vmFlags(t *testing.T, addr uintptr) []string {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	inside := false
	for line := range strings.Lines(string(smaps)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				inside = uint64(start) <= uint64(addr) && uint64(addr) < end
				continue
			}
		}
		if inside && fields[0] == "VmFlags:" {
			return fields[1:]
		}
	}
	t.Fatalf("no mapping in /proc/self/smaps holds %#x, or it has no VmFlags line", addr)
	return nil
}
