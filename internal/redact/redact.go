// Package redact holds the one rule of what an error of the module never
// repeats: a value given by the user (a path, a host, a target, a zone)
// with a run of 32 or more hexadecimal characters may be a key, pasted
// where something else belongs, and is shown as Redacted instead. The
// package varta and cmd/vartadump quote every such value through it.
package redact

import "strconv"

// Redacted is what an error shows in place of a value that may be a key.
const Redacted = "(redacted)"

// keyRun is the shortest run of hexadecimal characters that may be (half
// of) a key: a 32-byte key is 64 characters.
const keyRun = 32

// Quote returns value quoted as strconv.Quote quotes it, or Redacted when
// it may hold a key.
func Quote(value string) string {
	if MayHoldKey(value) {
		return Redacted
	}
	return strconv.Quote(value)
}

// Value returns value as it is, or Redacted when it may hold a key: for
// values an error shows unquoted, such as the path in a command to run.
func Value(value string) string {
	if MayHoldKey(value) {
		return Redacted
	}
	return value
}

// MayHoldKey reports whether s has a run of 32 or more hexadecimal
// characters.
func MayHoldKey(s string) bool {
	run := 0
	for i := range len(s) {
		if !isHex(s[i]) {
			run = 0
			continue
		}
		if run++; run >= keyRun {
			return true
		}
	}
	return false
}

// Runs returns text with each run of 32 or more hexadecimal characters
// replaced by Redacted: for messages written by code that does not quote
// through this package, such as the flag package's, which repeat a value
// inside a sentence.
func Runs(text string) string {
	out := make([]byte, 0, len(text))
	start := 0 // where the current run of hexadecimal characters began
	for i := 0; i <= len(text); i++ {
		if i < len(text) && isHex(text[i]) {
			continue
		}
		if i-start >= keyRun {
			out = append(out, Redacted...)
		} else {
			out = append(out, text[start:i]...)
		}
		if i < len(text) {
			out = append(out, text[i])
		}
		start = i + 1
	}
	return string(out)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
