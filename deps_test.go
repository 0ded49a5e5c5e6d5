//go:build unix

package varta

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDefaultBuildLinksOnlyWhatItNeeds checks SPEC R5.3 and the promise
// that embedded users pay only for what they link: without tags the
// package imports neither the net package nor golang.org/x/crypto.
func TestDefaultBuildLinksOnlyWhatItNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "golang.org/x/sys/unix") {
		t.Fatalf("go list -deps returned no golang.org/x/sys/unix: %q", out)
	}
	for _, dep := range deps {
		if dep == "net" || strings.HasPrefix(dep, "golang.org/x/crypto") {
			t.Errorf("the default build imports %s", dep)
		}
	}
}
