package varta

import (
	"errors"
	"testing"
)

// errorCase is an error a call returned, the text it must read, and the
// error errors.Is must match in it.
type errorCase struct {
	name string
	err  error
	want string
	is   error
}

// checkErrorTexts fails for every case whose error does not read exactly
// as wanted or does not match its sentinel.
func checkErrorTexts(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%s: error reads\n%q\nwant\n%q", tc.name, got, tc.want)
		}
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: %v does not match %v", tc.name, tc.err, tc.is)
		}
	}
}

// TestBadPIDErrorReadsAsBefore pins the text of the error for a pid no
// frame can carry.
func TestBadPIDErrorReadsAsBefore(t *testing.T) {
	_, err := checkPID(-2)
	checkErrorTexts(t, []errorCase{
		{"negative pid", err, "varta: pid -2 does not fit a VLP frame", err},
	})
}
