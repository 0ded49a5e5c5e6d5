//go:build unix && !linux

package varta

// abstractNames is false: this system has no abstract socket names, and a
// leading '@' is part of a file name.
const abstractNames = false
