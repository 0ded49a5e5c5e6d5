//go:build unix && !linux

package varta

import "golang.org/x/sys/unix"

// statPath stats the file at the path name. It allocates a NUL-terminated
// copy of name (unix.Stat); Linux needs no copy (statpath_linux.go). It
// returns the zero pathFile when nothing is there.
func statPath(name string, _ []byte) pathFile {
	var st unix.Stat_t
	if unix.Stat(name, &st) != nil {
		return pathFile{}
	}
	return pathFile{mode: uint32(st.Mode) & unix.S_IFMT, dev: uint64(st.Dev), ino: st.Ino}
}
