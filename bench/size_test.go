package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The footprint budget: what linking the agent may add to a stripped static
// program. A kilobyte here is 1000 bytes (the stricter reading of "160 KB").
const (
	kilobyte = 1000
	// sizeBudget is the most the default build may add to a hello-world
	// on linux/amd64.
	sizeBudget = 160 * kilobyte
)

// target is a platform the size test builds for.
type target struct {
	name string
	env  []string
}

var sizeTargets = []target{
	{"amd64", []string{"GOARCH=amd64"}},
	{"armv7", []string{"GOARCH=arm", "GOARM=7"}},
}

// TestSizeOfAMinimalAgent builds three stripped static programs for Linux
// (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"): size/hello, which writes
// with os.Stdout.Write; size/agent, which connects, beats once and closes,
// once per build tag set; and size/sdnotify, one go-systemd SdNotify. On
// amd64 the agent without tags must add at most sizeBudget bytes to hello
// and at most half of what SdNotify adds. It logs every size, for amd64
// and armv7 (run with -v to read them); sizes are deterministic for a
// given Go release, so the check cannot flake.
func TestSizeOfAMinimalAgent(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go command to build with: %v", err)
	}
	dir := t.TempDir()
	for _, tg := range sizeTargets {
		hello := buildSize(t, dir, tg, "hello", "")
		sdnotify := buildSize(t, dir, tg, "sdnotify", "") - hello
		t.Logf("%s: hello-world %d bytes; go-systemd SdNotify adds %d", tg.name, hello, sdnotify)
		for _, tags := range []string{"", "udp", "secureudp", "udp secureudp"} {
			added := buildSize(t, dir, tg, "agent", tags) - hello
			label := tags
			if label == "" {
				label = "none"
			}
			t.Logf("%s: tags %-15s the agent adds %7d bytes (%s kB), %.2f of SdNotify",
				tg.name, label+":", added, strconv.FormatFloat(float64(added)/kilobyte, 'f', 1, 64), float64(added)/float64(sdnotify))
			if tg.name != "amd64" || tags != "" {
				continue
			}
			if added > sizeBudget {
				t.Errorf("amd64, no tags: the agent adds %d bytes to a hello-world, more than the budget of %d", added, sizeBudget)
			}
			if 2*added > sdnotify {
				t.Errorf("amd64, no tags: the agent adds %d bytes to a hello-world, more than half of the %d SdNotify adds", added, sdnotify)
			}
		}
	}
}

// buildSize builds ./size/<prog> for Linux on tg with tags and returns the
// size of the executable.
func buildSize(t *testing.T, dir string, tg target, prog, tags string) int64 {
	t.Helper()
	out := filepath.Join(dir, prog+"-"+tg.name+"-"+strings.ReplaceAll(tags, " ", "+"))
	cmd := exec.Command("go", "build", "-o", out, "-trimpath", "-ldflags=-s -w", "-tags="+tags, "./size/"+prog)
	cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0", "GOOS=linux", "GOFLAGS="}, tg.env...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s for %s, tags %q: %v\n%s", prog, tg.name, tags, err, msg)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
