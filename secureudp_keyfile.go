//go:build unix && secureudp

package varta

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strconv"

	"github.com/varta-go/varta/internal/redact"
	"golang.org/x/sys/unix"
)

// Key files (SPEC R6.10): a key file is trusted only when nobody but its
// owner could have written it. "Key files" in the package documentation
// states the rules; SECURITY.md says why each one is there.

// maxKeyFileBytes bounds what LoadKeyFile reads, so that a wrong path (a
// log file, say) fails at once instead of filling memory.
const maxKeyFileBytes = 4096

// LoadKeyFile reads a key from a file holding 64 hexadecimal characters;
// whitespace around them (a trailing newline, say) is ignored. Only built
// with -tags secureudp. It reads only a regular file that nobody but its
// owner, this process's user or root, could have written or may read
// (see "Key files" in the package documentation); any other path gives
// an error matching [ErrKeyFile] that names the command that fixes it.
// Bad content, or a file over 4 KiB, gives an error matching [ErrKeyText],
// and a missing or unreadable file one matching fs.ErrNotExist or
// fs.ErrPermission. Errors never contain key material.
func LoadKeyFile(path string) ([]byte, error) {
	fd, err := openKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var buf [maxKeyFileBytes + 1]byte
	defer clear(buf[:])
	n, err := readFull(fd, buf[:])
	if err != nil {
		return nil, readKeyFileError(path, err)
	}
	if n > maxKeyFileBytes {
		return nil, &textError{msg: ErrKeyText.Error() + "; key file " + redact.Quote(path) + " is larger than " + strconv.Itoa(maxKeyFileBytes) + " bytes", err: ErrKeyText}
	}
	key, err := parseKeyHex(bytes.TrimSpace(buf[:n]))
	if err != nil {
		return nil, &textError{msg: err.Error() + " (key file " + redact.Quote(path) + ")", err: err}
	}
	return key, nil
}

// keyFileCheckedHook, when a test sets it, runs after openKeyFile has
// checked the file and before it opens it: where a file swapped in would
// be opened instead of the one checked.
var keyFileCheckedHook func()

// openKeyFile returns a descriptor of the key file at path, opened for
// reading once the file that path resolves to (symlinks followed) passed
// every check: its type before anything is opened, so that naming a
// device opens nothing; then its owner, its mode and its directory. The
// open follows no symlink and does not block (a named pipe put in the
// file's place opens at once), and what it opened must be the very file
// checked, the same device and inode, or it is closed and refused.
func openKeyFile(path string) (int, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return -1, readKeyFileError(path, err)
	}
	f := keyFile{path: path, target: target}
	var checked unix.Stat_t
	if err := unix.Stat(target, &checked); err != nil {
		return -1, readKeyFileError(path, err)
	}
	if err := f.check(&checked); err != nil {
		return -1, err
	}
	if keyFileCheckedHook != nil {
		keyFileCheckedHook()
	}
	fd, err := openNoFollow(target)
	if err != nil {
		var now unix.Stat_t
		if unix.Lstat(target, &now) != nil || !sameFile(&now, &checked) {
			return -1, f.replaced()
		}
		return -1, readKeyFileError(path, err)
	}
	var opened unix.Stat_t
	if err := unix.Fstat(fd, &opened); err != nil {
		unix.Close(fd)
		return -1, readKeyFileError(path, err)
	}
	if !sameFile(&opened, &checked) {
		unix.Close(fd)
		return -1, f.replaced()
	}
	return fd, nil
}

// keyFile is a key file being checked: the path as given, and the file
// it resolves to, whose type, owner, mode and directory are checked.
type keyFile struct{ path, target string }

// check refuses the key file, whose target has the status st, if it is
// not a regular file, has another owner than this process's user or root,
// is open to its group or others, or lies in a directory that another
// user owns, or that its group or others may write and that has no sticky
// bit.
func (f keyFile) check(st *unix.Stat_t) error {
	if why := notRegular(uint32(st.Mode) & unix.S_IFMT); why != "" {
		return f.refuse(why)
	}
	euid := uint64(unix.Geteuid())
	if st.Uid != 0 && uint64(st.Uid) != euid {
		return f.refuse("is owned by uid " + strconv.FormatUint(uint64(st.Uid), 10) + ", not by this process's user (uid " +
			strconv.FormatUint(euid, 10) + ") or root, so that user could have written it: chown " +
			strconv.FormatUint(euid, 10) + " " + redact.Value(f.target))
	}
	if perm := fs.FileMode(st.Mode) & fs.ModePerm; perm&0o077 != 0 {
		fix := "chmod 600 " + redact.Value(f.target)
		if uint64(st.Uid) != euid {
			// Root owns it: once it is closed to others, this user
			// reads only a copy of its own.
			fix = "as root, chmod 600 " + redact.Value(f.target) + ", and give this process's user (uid " +
				strconv.FormatUint(euid, 10) + ") a copy of its own, mode 600"
		}
		return f.refuse("is open to its group or others (mode " + perm.String() + "): " + fix)
	}
	dir := filepath.Dir(f.target)
	var dst unix.Stat_t
	if err := unix.Stat(dir, &dst); err != nil {
		return readKeyFileError(f.path, err)
	}
	if dst.Uid != 0 && uint64(dst.Uid) != euid {
		return f.refuse("is in a directory owned by uid " + strconv.FormatUint(uint64(dst.Uid), 10) +
			", not by this process's user (uid " + strconv.FormatUint(euid, 10) + ") or root, so that user could have put it there: chown " +
			strconv.FormatUint(euid, 10) + " " + redact.Value(dir) + ", or keep the key in a directory of this user or root")
	}
	if dst.Mode&0o022 != 0 && dst.Mode&unix.S_ISVTX == 0 {
		mode := fs.ModeDir | fs.FileMode(dst.Mode)&fs.ModePerm
		return f.refuse("is in a directory that its group or others may write (mode " + mode.String() +
			"), so they could have put it there: chmod o-w,g-w " + redact.Value(dir) +
			", or chmod +t " + redact.Value(dir) + " if others must create files there (then only a file's owner may replace it)")
	}
	return nil
}

// notRegular says what a file of the type t (unix.S_IFMT bits) is, and
// what to do, when it is not a regular file; it returns "" for a regular
// file.
func notRegular(t uint32) string {
	switch t {
	case unix.S_IFREG:
		return ""
	case unix.S_IFDIR:
		return "is a directory; give the path of the key file in it"
	case unix.S_IFIFO:
		return "is a named pipe (FIFO); write the key to a regular file"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "is a device; write the key to a regular file"
	case unix.S_IFSOCK:
		return "is a socket; write the key to a regular file"
	}
	return "is not a regular file; write the key to a regular file"
}

// name names the key file in an error: the path given, and the file it
// resolves to when that differs.
func (f keyFile) name() string {
	if f.target == filepath.Clean(f.path) {
		return redact.Quote(f.path)
	}
	return redact.Quote(f.path) + " (which resolves to " + redact.Quote(f.target) + ")"
}

// refuse returns an error matching ErrKeyFile that names the file and
// says why it is refused.
func (f keyFile) refuse(why string) error {
	return &textError{msg: ErrKeyFile.Error() + ": " + f.name() + " " + why, err: ErrKeyFile}
}

// replaced refuses a key file that another file took the place of between
// its checks and its opening.
func (f keyFile) replaced() error {
	return f.refuse("was replaced between its checks and its opening: load it again, and find out who else writes to its directory")
}

// sameFile reports whether a and b are the status of the same file.
func sameFile(a, b *unix.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

// openNoFollow opens path for reading without following a symlink in its
// last element, without blocking, and close-on-exec.
func openNoFollow(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readFull reads from fd into buf until buf is full or the file ends, and
// returns how many bytes it read.
func readFull(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return n, err
		case m == 0:
			return n, nil
		}
		n += m
	}
	return n, nil
}

// readKeyFileError returns the error of a system call on the key file at
// path, naming the file once: an error that names a file (an
// *fs.PathError) gives only its cause, which errors.Is matches against
// fs.ErrNotExist or fs.ErrPermission.
func readKeyFileError(path string, err error) error {
	if pathErr, ok := err.(*fs.PathError); ok {
		err = pathErr.Err
	}
	return &textError{msg: "varta: read key file " + redact.Quote(path) + ": " + err.Error(), err: err}
}
