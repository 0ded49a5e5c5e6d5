//go:build secureudp && unix

package varta

import (
	"os"
	"syscall"
)

// unixPermissions tells LoadKeyFile that file modes carry Unix permissions
// worth checking.
const unixPermissions = true

// openKeyFile opens a key file for reading without blocking: a named pipe
// with no writer opens at once, and is then refused for what it is.
func openKeyFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
