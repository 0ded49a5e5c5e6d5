//go:build unix

package varta

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newForkMark maps a private anonymous page, asks the kernel to hand a
// forked child a zeroed copy of it (MADV_WIPEONFORK, Linux 4.14), and
// returns its first word, marked. Kernels without the advice refuse it
// with EINVAL, seccomp policies with EPERM or ENOSYS: then the page is
// unmapped and the error returned. The page is never unmapped otherwise.
func newForkMark() (*atomic.Uint64, error) {
	// MmapPtr rather than Mmap, which keeps a map of every mapping and
	// would link that bookkeeping into every program.
	size := uintptr(unix.Getpagesize())
	addr, err := unix.MmapPtr(-1, 0, nil, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	if err := unix.Madvise(unsafe.Slice((*byte)(addr), size), unix.MADV_WIPEONFORK); err != nil {
		unix.MunmapPtr(addr, size)
		return nil, err
	}
	m := (*atomic.Uint64)(addr)
	remark(m)
	return m, nil
}
