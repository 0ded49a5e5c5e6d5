package main

import (
	"os"
	"strings"
	"testing"
)

// TestDemoShowsEveryOutcomeAndCleansUp runs the demo with its temporary
// directory under a fresh TMPDIR, checks the outcomes it reports, and that
// it leaves nothing behind.
func TestDemoShowsEveryOutcomeAndCleansUp(t *testing.T) {
	tmp, err := os.MkdirTemp("", "vd") // short: the socket path must fit 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)

	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"Beat(StatusOK, 12)          sent",
		"status=ok       nonce=1  payload=12",
		"Beat(StatusDegraded, 480)   sent",
		"status=degraded nonce=2  payload=480",
		"Beat(StatusCritical, 9000)  sent",
		"status=critical nonce=3  payload=9000",
		"Beat(StatusOK, 1)           dropped: no observer",
		"Beat(StatusOK, 3)           dropped: no observer",
		"Beat(StatusOK, 4)           sent",
		"status=ok       nonce=4  payload=4",
		"reconnected by itself: Stats().Reconnects 0 -> 1",
		"Beat(StatusStall, 0)        failed: varta: beat refused: StatusStall is observer-only",
		"Beat(StatusOK, 5)           failed: varta: beat on a closed agent",
		"Sent                        4\n",
		"Dropped()                   3  (",
		"Failed                      1  (",
		"9 Beat calls: 4 sent, 3 dropped while the observer was down, 2 failed (1 refused).",
		"nonces 1 to 4 with no gap",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q\noutput:\n%s", want, got)
		}
	}

	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("demo left %s behind in its temporary directory", e.Name())
	}
}
