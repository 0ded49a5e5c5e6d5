//go:build unix && linux

package varta

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// statPath stats the file at the path name, given NUL-terminated as file,
// without allocating: unix.Stat would allocate a NUL-terminated copy of
// name on every call. It uses statx (Linux 4.11), whose result has one
// layout on every architecture, and unix.Stat where the kernel lacks it.
// It returns the zero pathFile when nothing is there.
func statPath(name string, file []byte) pathFile {
	var stx unix.Statx_t
	cwd := unix.AT_FDCWD
	_, _, errno := unix.Syscall6(unix.SYS_STATX, uintptr(cwd), uintptr(unsafe.Pointer(&file[0])),
		0, unix.STATX_TYPE|unix.STATX_INO, uintptr(unsafe.Pointer(&stx)), 0)
	switch errno {
	case 0:
		return pathFile{
			mode: uint32(stx.Mode) & unix.S_IFMT,
			dev:  unix.Mkdev(stx.Dev_major, stx.Dev_minor),
			ino:  stx.Ino,
		}
	case unix.ENOSYS:
		var st unix.Stat_t
		if unix.Stat(name, &st) == nil {
			return pathFile{mode: st.Mode & unix.S_IFMT, dev: st.Dev, ino: st.Ino}
		}
	}
	return pathFile{}
}
