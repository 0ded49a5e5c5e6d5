package redact

import (
	"strconv"
	"strings"
	"testing"
)

// TestValuesWithAKeyLikeRunAreRedacted checks the rule at its edge: a run
// of 31 hexadecimal characters is shown, one of 32 anywhere in the value
// (either case) is not, and runs broken by other characters do not add up.
func TestValuesWithAKeyLikeRunAreRedacted(t *testing.T) {
	run31, run32 := strings.Repeat("a", 31), strings.Repeat("F", 32)
	for _, tc := range []struct {
		value string
		shown bool
	}{
		{"", true},
		{"/etc/varta/agent.key", true},
		{run31, true},
		{"/keys/" + run31 + "/" + run31, true},
		{run31 + "." + run31, true},
		{"0x" + run31, true}, // 'x' breaks the run: 0 and 31
		{run32, false},
		{"/keys/" + run32 + ".key", false},
		{"9" + run31, false},
		{"fe80::1%" + strings.Repeat("0123456789abcdef", 4), false},
	} {
		quoted, value := Quote(tc.value), Value(tc.value)
		if tc.shown && (quoted != strconv.Quote(tc.value) || value != tc.value || MayHoldKey(tc.value)) {
			t.Errorf("%q: Quote %s, Value %s, MayHoldKey %v; want it shown", tc.value, quoted, value, MayHoldKey(tc.value))
		}
		if !tc.shown && (quoted != Redacted || value != Redacted || !MayHoldKey(tc.value)) {
			t.Errorf("%q: Quote %s, Value %s, MayHoldKey %v; want %s", tc.value, quoted, value, MayHoldKey(tc.value), Redacted)
		}
	}
}

// TestRunsRedactsEachKeyLikeRunInAText checks that Runs replaces each run
// of 32 or more hexadecimal characters, and only those, leaving the words
// around them as they were.
func TestRunsRedactsEachKeyLikeRunInAText(t *testing.T) {
	run31, run32 := strings.Repeat("a", 31), strings.Repeat("F", 32)
	for _, tc := range []struct{ text, want string }{
		{"", ""},
		{"plain words", "plain words"},
		{run31, run31},
		{run32, Redacted},
		{`invalid boolean value "` + run32 + `" for -json`, `invalid boolean value "` + Redacted + `" for -json`},
		{"flag provided but not defined: -" + run32 + run31, "flag provided but not defined: -" + Redacted},
		{run32 + " and " + run31 + "." + run32, Redacted + " and " + run31 + "." + Redacted},
	} {
		if got := Runs(tc.text); got != tc.want {
			t.Errorf("Runs(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
