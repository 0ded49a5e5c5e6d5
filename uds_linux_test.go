package varta

// Proves, on Linux, that Connect works in the init process of a new pid
// namespace, that an abstract socket nobody binds is reported without
// speaking of a file, and that an abstract name may fill a socket address.

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestConnectAsInitProcess runs Connect in a child that is pid 1 of a new
// pid namespace, as a container's init is.
func TestConnectAsInitProcess(t *testing.T) {
	if os.Getenv("VARTA_TEST_AS_INIT") != "" {
		if os.Getpid() != 1 {
			t.Fatalf("child runs as pid %d, want 1", os.Getpid())
		}
		r := listen(t)
		v, err := Connect(r.path)
		if v != nil || !errors.Is(err, ErrInitProcess) {
			t.Fatalf("Connect as pid 1 = %v, %v; want ErrInitProcess", v, err)
		}
		return
	}
	cmd := testBinary(os.Args[0], "-test.run=^TestConnectAsInitProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "VARTA_TEST_AS_INIT=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWPID}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		// User-mode emulation (qemu-user) refuses the clone flags of
		// namespaces with EINVAL, as does a kernel built without pid
		// namespaces: neither can give this test a pid 1.
		if errors.Is(err, syscall.EINVAL) {
			skipCore(t, "this system cannot start a process in a new pid namespace: %v", err)
		}
		t.Fatalf("starting a child in a new pid namespace: %v", err)
	}
	if err := cmd.Wait(); err != nil || !bytes.Contains(out.Bytes(), []byte("--- PASS: TestConnectAsInitProcess")) {
		t.Fatalf("child in a new pid namespace: %v\n%s", err, out.Bytes())
	}
}

// TestConnectToAnAbstractNameNobodyBindsSpeaksOfNoFile connects to an
// abstract socket name that nothing is bound to: the error matches
// ECONNREFUSED and says nobody is bound to the name, and, since abstract
// names have no file, it speaks of no socket file.
func TestConnectToAnAbstractNameNobodyBindsSpeaksOfNoFile(t *testing.T) {
	name := "@varta-test-nobody-" + strconv.Itoa(os.Getpid())
	v, err := Connect(name)
	if v != nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Connect(%q) = %v, %v; want ECONNREFUSED", name, v, err)
	}
	if msg := err.Error(); strings.Contains(msg, "file exists") || strings.Contains(msg, "socket file") || !strings.Contains(msg, "abstract") {
		t.Fatalf("Connect(%q): %q: want it to speak of an abstract name and of no file", name, msg)
	}
}

// TestConnectReachesAnAbstractNameThatFillsTheAddress binds, with the net
// package as an observer would, an abstract name of 107 bytes after its
// '@', which sun_path holds after the NUL that stands for the '@' (an
// abstract address has no terminating NUL), and beats to it. One byte
// more is refused before any system call.
func TestConnectReachesAnAbstractNameThatFillsTheAddress(t *testing.T) {
	prefix := "@varta-test-" + strconv.Itoa(os.Getpid()) + "-"
	name := prefix + strings.Repeat("x", maxAbstractLen+1-len(prefix))
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("binding an abstract name of %d bytes after '@': %v", len(name)-1, err)
	}
	defer c.Close()
	v, err := Connect(name)
	if err != nil {
		t.Fatalf("Connect(an abstract name of %d bytes after '@'): %v", len(name)-1, err)
	}
	defer v.Close()
	if out := v.Beat(StatusOK, 7); !out.IsSent() {
		t.Fatalf("beat: %v", out)
	}
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard, not a timing assertion
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := DecodeFrame(buf[:n]); err != nil || f.Payload != 7 {
		t.Fatalf("received %+v, %v; want the beat with payload 7", f, err)
	}

	longer := name + "x"
	_, err = Connect(longer)
	want := "varta: invalid socket path: the abstract name after '@' is " + strconv.Itoa(len(longer)-1) +
		" bytes, longer than the " + strconv.Itoa(maxAbstractLen) + " a Unix socket address holds; use a shorter name"
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("Connect(an abstract name of %d bytes after '@') = %v\nwant %q", len(longer)-1, err, want)
	}
}
