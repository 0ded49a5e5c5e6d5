//go:build secureudp && linux

package varta

// Proves that LoadKeyFile checks a file's type before it opens anything:
// a device or a named pipe, named directly or through a symlink, is
// refused without being opened, which inotify would report.

import (
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLoadKeyFileOpensNoDeviceOrPipe names a character device (a node of
// its own with /dev/null's numbers, so that no other process's opens
// count) and a named pipe, each directly and through a symlink, and
// watches both for opens with inotify: each is refused for what it is,
// and neither is opened (a watchdog device would arm on an open). An open
// of each after the refusals shows that the watch sees opens. /dev/null
// itself is refused in the same words.
func TestLoadKeyFileOpensNoDeviceOrPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	device := filepath.Join(dir, "null")
	if err := unix.Mknod(device, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		skipCore(t, "making a device node takes root (CAP_MKNOD), which this test runs without: %v", err)
	}
	watch, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(watch)
	// opens counts the events waiting: each is one open of a watched
	// file, and names no file (a watch on a file, not a directory).
	opens := func() int {
		var buf [4096]byte
		n := 0
		for {
			m, err := unix.Read(watch, buf[:])
			if err != nil {
				return n
			}
			n += m / unix.SizeofInotifyEvent
		}
	}
	for _, path := range []string{fifo, device} {
		if _, err := unix.InotifyAddWatch(watch, path, unix.IN_OPEN); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct{ path, what string }{
		{fifo, "is a named pipe (FIFO); write the key to a regular file"},
		{device, "is a device; write the key to a regular file"},
		{"/dev/null", "is a device; write the key to a regular file"},
	} {
		link := filepath.Join(dir, strconv.Itoa(i)+".key")
		symlink(t, tc.path, link)
		refusesKeyFile(t, tc.path, `varta: not a usable key file: "`+tc.path+`" `+tc.what)
		refusesKeyFile(t, link, `varta: not a usable key file: "`+link+`" (which resolves to "`+tc.path+`") `+tc.what)
	}
	if n := opens(); n != 0 {
		t.Fatalf("inotify saw %d opens of the device or the pipe, want 0", n)
	}

	for _, path := range []string{fifo, device} {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	if n := opens(); n != 2 {
		t.Fatalf("inotify saw %d opens after the test opened the device and the pipe, want 2: the watch does not see opens", n)
	}
}
