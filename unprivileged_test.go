package varta

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// nobody is the uid and gid that permission tests run as when the suite
// runs as root.
const nobody = 65534

// runUnprivileged runs the tests matching pattern again in a child process
// as user and group nobody, with env added to its environment, and fails t
// with the child's output if the child fails or runs no test. Root
// bypasses file permission checks, so tests of those checks run this way
// when the suite runs as root.
func runUnprivileged(t *testing.T, pattern string, env ...string) {
	t.Helper()
	// The test binary may sit in a directory only root can read.
	dir := socketDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "varta.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := testBinary(bin, "-test.run="+pattern, "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: ")) {
		t.Fatalf("child as an unprivileged user: %v\n%s", err, out)
	}
}
