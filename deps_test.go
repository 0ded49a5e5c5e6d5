package varta

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
func TestBuildTagsGateNetworkAndCryptoCode(t *testing.T) {
	const chacha = "golang.org/x/crypto/chacha20poly1305"
	for _, tc := range []struct {
		tags           string
		net, anyCrypto bool
	}{
		{"", false, false},
		{"udp", true, false},
		{"secureudp", true, true},
	} {
		t.Run("tags="+tc.tags, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-tags="+tc.tags, ".").Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, "github.com/varta-go/varta") {
				t.Fatalf("go list -deps did not list the package itself:\n%s", out)
			}
			if got := slices.Contains(deps, "net"); got != tc.net {
				t.Errorf("imports net: %v, want %v", got, tc.net)
			}
			crypto := slices.ContainsFunc(deps, func(p string) bool { return strings.HasPrefix(p, "golang.org/x/crypto/") })
			if crypto != tc.anyCrypto {
				t.Errorf("imports golang.org/x/crypto: %v, want %v", crypto, tc.anyCrypto)
			}
			if tc.anyCrypto && !slices.Contains(deps, chacha) {
				t.Errorf("does not import %s", chacha)
			}
		})
	}
}
