package component

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// TestDockerfileCrossCompiles reads the Dockerfile: the Go stage runs on the
// build machine's platform and compiles for the target one, and the final
// stage runs nothing, so that a multi-platform build never runs a binary of
// another architecture (which would need an emulator on the builder).
// `make image` checks the images themselves.
func TestDockerfileCrossCompiles(t *testing.T) {
	t.Parallel()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Instructions, continuation lines joined, comments dropped.
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	var stages [][]string
	for _, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], l)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("want a build stage and a final stage, found %d stages", len(stages))
	}
	build, final := stages[0], stages[1]
	if !regexp.MustCompile(`^FROM --platform=\$\{?BUILDPLATFORM\}? `).MatchString(build[0]) {
		t.Errorf("the build stage does not run on $BUILDPLATFORM: %s", build[0])
	}
	goBuild := ""
	for _, l := range build {
		if strings.Contains(l, "go build") {
			goBuild = l
		}
	}
	for _, want := range []string{"GOOS=${TARGETOS}", "GOARCH=${TARGETARCH}"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("go build does not cross-compile with %s: %s", want, goBuild)
		}
	}
	if strings.Contains(goBuild, "/aws-oidc version") {
		t.Errorf("the build stage runs the target's binary")
	}
	for _, l := range final {
		if strings.HasPrefix(l, "RUN ") {
			t.Errorf("the final stage runs a command on the target platform: %s", l)
		}
	}
}
