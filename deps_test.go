package varta

// Proves that the build tags gate the imports (SPEC R5.3): without tags
// the package links neither net nor golang.org/x/crypto, udp adds net, and
// secureudp adds the crypto.

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBuildTagsGateNetworkAndCryptoCode checks SPEC R5.3 with the go
// command: without tags the package links neither the net package nor
// golang.org/x/crypto; -tags udp adds net but no crypto; -tags secureudp
// adds ChaCha20-Poly1305. -tags= overrides any tags set in GOFLAGS.
//
// It also checks that no build imports fmt for the package's own sake: the
// default build and -tags udp do not link fmt at all, and with secureudp
// fmt is reached only through crypto/rand (whose math/big formats numbers;
// the salt is read without it).
func TestBuildTagsGateNetworkAndCryptoCode(t *testing.T) {
	const (
		self   = "github.com/varta-go/varta"
		chacha = "golang.org/x/crypto/chacha20poly1305"
	)
	for _, tc := range []struct {
		tags           string
		net, anyCrypto bool
		fmtVia         []string // the package's imports through which fmt may be reached
	}{
		{"", false, false, nil},
		{"udp", true, false, nil},
		{"secureudp", true, true, []string{"crypto/rand"}},
		{"udp secureudp", true, true, []string{"crypto/rand"}},
	} {
		t.Run("tags="+tc.tags, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-tags="+tc.tags, "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".").Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			imports := map[string][]string{}
			for line := range strings.Lines(string(out)) {
				f := strings.Fields(line)
				imports[f[0]] = f[1:]
			}
			if _, ok := imports[self]; !ok {
				t.Fatalf("go list -deps did not list the package itself:\n%s", out)
			}
			if _, got := imports["net"]; got != tc.net {
				t.Errorf("imports net: %v, want %v", got, tc.net)
			}
			crypto := false
			for p := range imports {
				crypto = crypto || strings.HasPrefix(p, "golang.org/x/crypto/")
			}
			if crypto != tc.anyCrypto {
				t.Errorf("imports golang.org/x/crypto: %v, want %v", crypto, tc.anyCrypto)
			}
			if _, ok := imports[chacha]; tc.anyCrypto && !ok {
				t.Errorf("does not import %s", chacha)
			}
			if _, ok := imports["fmt"]; ok && tc.fmtVia == nil {
				t.Errorf("links fmt (imported by %v), want no fmt", importersOf(imports, "fmt"))
			}
			for _, p := range imports[self] {
				if reaches(imports, p, "fmt") && !slices.Contains(tc.fmtVia, p) {
					t.Errorf("imports %s, which brings fmt; fmt may come only through %v", p, tc.fmtVia)
				}
			}
		})
	}
}

// reaches reports whether package from imports target, directly or not,
// in the import graph imports.
func reaches(imports map[string][]string, from, target string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(p string) bool {
		if p == target {
			return true
		}
		if seen[p] {
			return false
		}
		seen[p] = true
		return slices.ContainsFunc(imports[p], walk)
	}
	return walk(from)
}

// importersOf lists the packages of imports that import target directly.
func importersOf(imports map[string][]string, target string) []string {
	var by []string
	for p, deps := range imports {
		if slices.Contains(deps, target) {
			by = append(by, p)
		}
	}
	slices.Sort(by)
	return by
}
