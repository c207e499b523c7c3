package schema

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// minGlab is the oldest glab that can run the script GitLab generates for a
// job with the release: keyword; with an older one GitLab falls back to
// release-cli, which the glab image lacks, and no release (hence no catalog
// version) is made. Source: GitLab's release-cli page, "Fall back to
// release-cli" (https://docs.gitlab.com/user/project/releases/release_cli),
// whose troubleshooting error reads "Please use glab version >= 1.58.0".
const minGlab = "1.58.0"

// glabImage is the glab image pinned by tag and digest.
var glabImage = regexp.MustCompile(`^registry\.gitlab\.com/gitlab-org/cli:v([0-9]+\.[0-9]+\.[0-9]+)@sha256:[0-9a-f]{64}$`)

// TestReleaseJobGlab checks every job of the project's pipeline that uses
// the release: keyword: its image is the glab image, pinned by digest, at
// minGlab or later.
func TestReleaseJobGlab(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs map[string]any
	if err := yaml.Unmarshal(data, &jobs); err != nil {
		t.Fatal(err)
	}
	found := 0
	for name, v := range jobs {
		job, ok := v.(map[string]any)
		if !ok || job["release"] == nil {
			continue
		}
		found++
		image, _ := job["image"].(string)
		if m, ok := job["image"].(map[string]any); ok {
			image, _ = m["name"].(string)
		}
		m := glabImage.FindStringSubmatch(image)
		if m == nil {
			t.Errorf("job %s: image %q is not registry.gitlab.com/gitlab-org/cli:vX.Y.Z@sha256:<digest>", name, image)
			continue
		}
		if !atLeast(m[1], minGlab) {
			t.Errorf("job %s: glab %s is older than %s, which the release: keyword needs", name, m[1], minGlab)
		}
	}
	if found == 0 {
		t.Fatal("no job uses the release: keyword; the catalog needs one")
	}
}

// atLeast compares two X.Y.Z versions.
func atLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range 3 {
		x, _ := strconv.Atoi(a[i])
		y, _ := strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v, min string
		want   bool
	}{
		{"1.58.0", "1.58.0", true},
		{"1.58.1", "1.58.0", true},
		{"1.100.0", "1.58.0", true},
		{"1.51.0", "1.58.0", false},
		{"1.9.9", "1.58.0", false},
		{"2.0.0", "1.58.0", true},
	} {
		if got := atLeast(tc.v, tc.min); got != tc.want {
			t.Errorf("atLeast(%s, %s) = %v", tc.v, tc.min, got)
		}
	}
}
