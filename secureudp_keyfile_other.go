//go:build secureudp && !unix

package varta

import "os"

// unixPermissions tells LoadKeyFile that file modes carry no Unix
// permissions: the mode bits Go reports here say nothing about who may
// read the file.
const unixPermissions = false

// openKeyFile opens a key file for reading.
func openKeyFile(path string) (*os.File, error) {
	return os.Open(path)
}
