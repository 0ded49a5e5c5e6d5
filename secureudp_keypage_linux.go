//go:build unix && secureudp && linux

package varta

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Key slots on Linux: the package's own copies of keys (each secretKey:
// an agent's key, a MasterOpener's master key) live in 32-byte slots of
// private anonymous pages marked MADV_DONTDUMP (Linux 3.4), so that a core
// dump, such as the one GOTRACEBACK=crash leaves, holds none of them. A
// wiped slot is zeroed and handed out again; the pages stay mapped for
// the life of the process, so the memory they take is bounded by the most
// keys held at once (128 keys per 4 KiB page). Where the kernel refuses
// the page or the advice (a seccomp policy, say), keys live on the Go
// heap, as on other systems.
var keySlots struct {
	mu    sync.Mutex
	pages []uintptr         // the start of each page mapped for key slots
	free  []*[KeyBytes]byte // slots not holding a key, all zero
}

// newKeySlot returns zeroed storage for one key: a free slot in a page
// left out of core dumps, or heap memory if no such page can be had.
func newKeySlot() *[KeyBytes]byte {
	keySlots.mu.Lock()
	defer keySlots.mu.Unlock()
	if len(keySlots.free) == 0 && !mapKeyPage() {
		return new([KeyBytes]byte)
	}
	b := keySlots.free[len(keySlots.free)-1]
	keySlots.free = keySlots.free[:len(keySlots.free)-1]
	return b
}

// releaseKeySlot takes back the storage of a key, which the caller has
// zeroed: a slot of a key page becomes free again; heap memory is left
// to the garbage collector.
func releaseKeySlot(b *[KeyBytes]byte) {
	keySlots.mu.Lock()
	defer keySlots.mu.Unlock()
	at := uintptr(unsafe.Pointer(b))
	size := uintptr(unix.Getpagesize())
	for _, page := range keySlots.pages {
		if page <= at && at < page+size {
			keySlots.free = append(keySlots.free, b)
			return
		}
	}
}

// mapKeyPage maps one private anonymous page, marks it MADV_DONTDUMP and
// adds its slots to the free ones. It reports false, with nothing
// mapped, when the kernel refuses either step. The caller holds
// keySlots.mu.
func mapKeyPage() bool {
	// MmapPtr rather than Mmap, which keeps a map of every mapping.
	size := uintptr(unix.Getpagesize())
	addr, err := unix.MmapPtr(-1, 0, nil, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return false
	}
	if err := unix.Madvise(unsafe.Slice((*byte)(addr), size), unix.MADV_DONTDUMP); err != nil {
		unix.MunmapPtr(addr, size)
		return false
	}
	keySlots.pages = append(keySlots.pages, uintptr(addr))
	for off := uintptr(0); off+KeyBytes <= size; off += KeyBytes {
		keySlots.free = append(keySlots.free, (*[KeyBytes]byte)(unsafe.Add(addr, off)))
	}
	return true
}
