//go:build secureudp && linux

package varta

// Proves, by scanning a child's memory on Linux, that a closed secure
// agent, and a closed opener of the observer side, leave no copy of a key
// but the ciphers' own.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Environment of the child that counts key copies in its own memory.
const (
	keyMaskedEnv = "VARTA_TEST_KEY_MASKED" // the key XOR the mask, in hex
	keyMaskEnv   = "VARTA_TEST_KEY_MASK"
)

// keyCopyScenarios are the agents whose key copies are counted after
// Close: a key mode, a number of reconnects, and how many frames deeper
// in the stack than the test the agent is connected from.
var keyCopyScenarios = []struct {
	name       string
	master     bool
	reconnects int
	depth      int
	// The most copies of the key (shared or master) and of the derived key
	// that may remain after Close and a GC: the cipher's own copy of the
	// key it seals with, which x/crypto keeps and no API reaches.
	maxKey, maxDerived int
}{
	{"shared-20-reconnects", false, 20, 0, 1, 0},
	{"master-20-reconnects", true, 20, 0, 0, 1},
	{"master-no-reconnect", true, 0, 0, 0, 1},
	// Where a program connects from does not matter: the temporaries of
	// the key derivation left on the stack are overwritten there.
	{"master-connected-deeper", true, 0, 8, 0, 1},
}

// TestSecureCloseLeavesOnlyTheCiphersKeyCopy counts, in a child process,
// the copies of the key and of the derived agent key left anywhere in the
// process's writable memory (read from /proc/self/mem) after an agent
// reconnected and was closed and the garbage collector ran (R6.7): only
// the copy inside the cipher object, which x/crypto keeps, may remain.
// The child never holds the keys in the clear outside the agent: it gets
// them XORed with a mask and compares through the mask.
func TestSecureCloseLeavesOnlyTheCiphersKeyCopy(t *testing.T) {
	if mode := inChild(); strings.HasPrefix(mode, "keycopies:") {
		countKeyCopiesInChild(t, strings.TrimPrefix(mode, "keycopies:"))
		return
	}
	if raceEnabled() {
		// A plain skip, not skipCore: CI runs the tests again without
		// the race detector, and this one with them.
		t.Skip("the race detector maps terabytes of shadow memory, too much to scan")
	}
	for _, sc := range keyCopyScenarios {
		t.Run(sc.name, func(t *testing.T) {
			var key, mask [KeyBytes]byte
			rand.Read(key[:])
			randomMask(&mask)
			cmd := testBinary(os.Args[0], "-test.run=^TestSecureCloseLeavesOnlyTheCiphersKeyCopy$", "-test.count=1")
			cmd.Env = append(os.Environ(),
				childEnv+"=keycopies:"+sc.name,
				keyMaskedEnv+"="+hex.EncodeToString(xor(key, mask)),
				keyMaskEnv+"="+hex.EncodeToString(mask[:]))
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer stdin.Close()
			lines := bufio.NewScanner(stdout)
			next := func() string {
				if !lines.Scan() {
					cmd.Wait()
					t.Fatalf("child ended early\n%s", stderr.String())
				}
				return lines.Text()
			}

			// The child reports its pid once its agent is closed; the
			// derived key is computed here, away from its memory.
			var derived [KeyBytes]byte
			line := next()
			pid, err := strconv.ParseUint(strings.TrimPrefix(line, "pid "), 10, 32)
			if err != nil {
				t.Fatalf("child said %q", line)
			}
			if sc.master {
				d, err := AgentKey(key[:], uint32(pid))
				if err != nil {
					t.Fatal(err)
				}
				copy(derived[:], d)
			}
			fmt.Fprintln(stdin, hex.EncodeToString(xor(derived, mask)))
			var live, keys, deriveds int
			if _, err := fmt.Sscanf(next(), "copies %d %d %d", &live, &keys, &deriveds); err != nil {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}
			t.Logf("before Close: %d copies of the key; after Close: %d of the key, %d of the derived key", live, keys, deriveds)
			if live == 0 {
				t.Fatal("the scan found no copy of the key in a live agent: it cannot see what it looks for")
			}
			if keys > sc.maxKey || deriveds > sc.maxDerived {
				t.Fatalf("after Close: %d copies of the key, %d of the derived key; want at most %d and %d",
					keys, deriveds, sc.maxKey, sc.maxDerived)
			}
		})
	}
}

// countKeyCopiesInChild runs the scenario's agent, closes it, collects
// garbage and prints how many copies of the key and of the derived key
// the process's writable memory holds.
func countKeyCopiesInChild(t *testing.T, name string) {
	masked, mask := maskedKeyFromEnv(t)
	for _, sc := range keyCopyScenarios {
		if sc.name != name {
			continue
		}
		r, port := listenUDP(t, "127.0.0.1")
		connect := ConnectSecureUDP
		if sc.master {
			connect = ConnectSecureUDPWithMaster
		}
		key := make([]byte, KeyBytes)
		for i := range key {
			key[i] = masked[i] ^ mask[i]
		}
		var v *Varta
		var err error
		atDepth(sc.depth, func() { v, err = connect("127.0.0.1", port, key) })
		clear(key)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sc.reconnects + 1 {
			if i > 0 {
				if err := v.Reconnect(); err != nil {
					t.Fatal(err)
				}
			}
			if out := v.Beat(StatusOK, 0); !out.IsSent() {
				t.Fatal(out)
			}
			r.recv()
		}
		// The scan must find the live agent's copies, or it proves
		// nothing about the ones after Close.
		live := scanMemory(t, [][]byte{masked}, mask)[0]
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
		v = nil
		runtime.GC()
		runtime.GC()
		fmt.Println("pid", os.Getpid())
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		derivedMasked, err := hex.DecodeString(strings.TrimSpace(line))
		if err != nil {
			t.Fatal(err)
		}
		needles := [][]byte{masked}
		if sc.master {
			needles = append(needles, derivedMasked)
		}
		counts := scanMemory(t, needles, mask)
		fmt.Println("copies", live, counts[0], append(counts, 0)[1])
		return
	}
	t.Fatalf("unknown scenario %q", name)
}

// atDepth calls f from n frames deeper in the stack than its caller.
//
//go:noinline
func atDepth(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	atDepth(n-1, f)
}

// needlesEnv names, for the child that counts an opener's key copies,
// the keys to count besides the key itself, each XOR the mask, in hex,
// comma-separated; framesEnv names a file of the frames it opens, one in
// hex a line.
const (
	needlesEnv = "VARTA_TEST_NEEDLES"
	framesEnv  = "VARTA_TEST_FRAMES"
)

// The openers' scenarios open this many frames, from this many pids.
const (
	openedFrames = 200
	openedPIDs   = 4
)

// stackCopiesOfAPIDKey is how many copies of a pid's derived key, beyond
// the one inside its cipher, a closed MasterOpener may leave: none, except
// where pointers have 32 bits. There (armv7 under emulation) about one run
// in three finds a second copy of the key it derived last, in goroutine
// stack memory: SHA-256 copies its state onto the stack to finish a hash,
// and Go does not wipe a stack's dead frames. An agent, and an opener for
// its master key, grow the stack first and overwrite those frames
// (reserveStack, scrubbedAgentCipher); an opener does not for each pid, where it
// would make every forged frame cost half as much again (SECURITY.md).
const stackCopiesOfAPIDKey = int(4 / unsafe.Sizeof(uintptr(0))) // 1 with 32-bit pointers, 0 with 64

// TestOpenerCloseLeavesOnlyTheCiphersKeyCopies counts, in a child
// process, the copies of key material left in the process's writable
// memory after an opener opened 200 frames from 4 pids, was closed and
// the garbage collector ran (R6.7). A shared-key opener keeps one cipher
// for its life: one copy of the key, inside it, may remain, as x/crypto
// keeps it and no API reaches it. A master-key opener keeps HKDF-Extract of
// the master key, which Close wipes, and a cipher per pid: no copy of the
// master key or of its extract may remain, and one of each pid's derived
// key, its cipher's. The frames are sealed here, by the agent's sealing
// code, so that the child holds the keys only through its opener.
func TestOpenerCloseLeavesOnlyTheCiphersKeyCopies(t *testing.T) {
	if mode := inChild(); strings.HasPrefix(mode, "openercopies:") {
		countOpenerKeyCopiesInChild(t, strings.TrimPrefix(mode, "openercopies:") == "master")
		return
	}
	if raceEnabled() {
		t.Skip("the race detector maps terabytes of shadow memory, too much to scan")
	}
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			var key, mask [KeyBytes]byte
			rand.Read(key[:])
			randomMask(&mask)
			type needle struct {
				name     string
				masked   []byte
				maxAfter int
			}
			needles := []needle{{"the key", xor(key, mask), 1}}
			if m.master {
				prk := [KeyBytes]byte(hkdfExtract(t, key[:]))
				needles = []needle{{"the master key", xor(key, mask), 0}, {"its HKDF-Extract", xor(prk, mask), 0}}
			}
			var agents []*replayAgent
			for i := range openedPIDs {
				pid := uint32(1000 + i)
				agents = append(agents, newReplayAgent(key[:], m.master, pid))
				if m.master {
					d, err := AgentKey(key[:], pid)
					if err != nil {
						t.Fatal(err)
					}
					needles = append(needles, needle{"the key of pid " + strconv.Itoa(int(pid)), xor([KeyBytes]byte(d), mask), 1 + stackCopiesOfAPIDKey})
				}
			}
			var frames []string
			for i := range openedFrames {
				frames = append(frames, hex.EncodeToString(agents[i%openedPIDs].beat().wire))
			}
			path := filepath.Join(t.TempDir(), "frames")
			if err := os.WriteFile(path, []byte(strings.Join(frames, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			var others []string
			for _, n := range needles[1:] {
				others = append(others, hex.EncodeToString(n.masked))
			}
			cmd := testBinary(os.Args[0], "-test.run=^TestOpenerCloseLeavesOnlyTheCiphersKeyCopies$", "-test.count=1")
			cmd.Env = append(os.Environ(),
				childEnv+"=openercopies:"+m.name,
				keyMaskedEnv+"="+hex.EncodeToString(needles[0].masked),
				keyMaskEnv+"="+hex.EncodeToString(mask[:]),
				needlesEnv+"="+strings.Join(others, ","),
				framesEnv+"="+path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v\n%s%s", err, out, stderr.String())
			}
			var open, closed []string
			for _, line := range strings.Split(string(out), "\n") {
				switch f := strings.Fields(line); {
				case len(f) > 0 && f[0] == "open":
					open = f
				case len(f) > 0 && f[0] == "closed":
					closed = f
				}
			}
			if len(open) != 1+len(needles) || len(closed) != 1+len(needles) {
				t.Fatalf("child said %q\n%s", out, stderr.String())
			}
			seen := false
			for i, n := range needles {
				t.Logf("copies of %s: %s while open, %s after Close", n.name, open[1+i], closed[1+i])
				seen = seen || open[1+i] != "0"
				if got, _ := strconv.Atoi(closed[1+i]); got > n.maxAfter {
					t.Errorf("after Close: %d copies of %s, want at most %d", got, n.name, n.maxAfter)
				}
			}
			if !seen {
				t.Fatal("the scan found no key in a live opener: it cannot see what it looks for")
			}
		})
	}
}

// countOpenerKeyCopiesInChild opens the frames with an opener of the key
// (a master key if master is set), closes it, collects garbage and prints
// how many copies of the key and of each other needle the process's
// writable memory holds, while the opener was open and after Close.
func countOpenerKeyCopiesInChild(t *testing.T, master bool) {
	masked, mask := maskedKeyFromEnv(t)
	needles := [][]byte{masked}
	for _, n := range strings.Split(os.Getenv(needlesEnv), ",") {
		if n != "" {
			b, err := hex.DecodeString(n)
			if err != nil {
				t.Fatal(err)
			}
			needles = append(needles, b)
		}
	}
	text, err := os.ReadFile(os.Getenv(framesEnv))
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for _, line := range strings.Split(string(text), "\n") {
		w, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, w)
	}
	key := make([]byte, KeyBytes)
	for i := range key {
		key[i] = masked[i] ^ mask[i]
	}
	var o opener
	if master {
		o, err = NewMasterOpener(key)
	} else {
		o, err = NewSecureOpener(key)
	}
	clear(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range frames {
		if _, err := o.Open(w); err != nil {
			t.Fatal(err)
		}
	}
	live := scanMemory(t, needles, mask)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = nil
	runtime.GC()
	runtime.GC()
	closed := scanMemory(t, needles, mask)
	fmt.Println("open", strings.Trim(fmt.Sprint(live), "[]"))
	fmt.Println("closed", strings.Trim(fmt.Sprint(closed), "[]"))
}

// maskedKeyFromEnv returns, in a child, the masked key and the mask its
// parent gave it.
func maskedKeyFromEnv(t *testing.T) (masked, mask []byte) {
	masked, err := hex.DecodeString(os.Getenv(keyMaskedEnv))
	if err != nil {
		t.Fatal(err)
	}
	mask, err = hex.DecodeString(os.Getenv(keyMaskEnv))
	if err != nil {
		t.Fatal(err)
	}
	return masked, mask
}

// scanMemory counts the occurrences of each masked needle (needle XOR
// mask) in the process's readable and writable mappings, except the
// buffer it reads them into.
func scanMemory(t *testing.T, masked [][]byte, mask []byte) []int {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	const chunk = 1 << 20
	buf, err := unix.Mmap(-1, 0, chunk+KeyBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(buf)
	own := uint64(uintptr(unsafe.Pointer(&buf[0])))
	counts := make([]int, len(masked))
	for _, line := range strings.Split(string(maps), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.HasPrefix(fields[1], "rw") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || start == own {
			continue
		}
		// Chunks overlap by a key's length, so that a copy across a
		// boundary counts once, in the chunk where it starts.
		for at := start; at < end; at += chunk {
			n, _ := mem.ReadAt(buf[:min(chunk+KeyBytes, end-at)], int64(at))
			data := buf[:n]
			for i, m := range masked {
				counts[i] += countMasked(data, m, mask, min(n, chunk))
			}
			clear(data)
		}
	}
	return counts
}

// countMasked counts the positions below limit where data holds masked
// XOR mask.
func countMasked(data, masked, mask []byte, limit int) int {
	first := masked[0] ^ mask[0]
	n := 0
	for i := 0; i < limit; {
		j := bytes.IndexByte(data[i:limit], first)
		if j < 0 {
			break
		}
		i += j
		if i+len(masked) <= len(data) && matchesMasked(data[i:i+len(masked)], masked, mask) {
			n++
		}
		i++
	}
	return n
}

func matchesMasked(b, masked, mask []byte) bool {
	for k := range b {
		if b[k]^mask[k] != masked[k] {
			return false
		}
	}
	return true
}

// randomMask fills mask with random bytes, none of them zero, so that no
// byte of a masked key equals the key's.
func randomMask(mask *[KeyBytes]byte) {
	rand.Read(mask[:])
	for i := range mask {
		if mask[i] == 0 {
			mask[i] = 0x5a
		}
	}
}

func xor(a, b [KeyBytes]byte) []byte {
	out := make([]byte, KeyBytes)
	for i := range out {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
