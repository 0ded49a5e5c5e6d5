package varta

// Proves, on Linux, that Connect works in the init process of a new pid
// namespace, and that an abstract socket nobody binds is reported without
// speaking of a file.

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

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
