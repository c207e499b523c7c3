package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNothingAtInit runs this test binary, which links every package of the
// command, with GODEBUG=inittrace=1 and checks that none of our packages
// does real work at start-up: a regexp compiled or a table built at init
// costs every run, `aws-oidc version` included (issue 11). A sync.OnceValue
// costs two small allocations, a regexp dozens.
func TestNothingAtInit(t *testing.T) {
	t.Parallel()
	// Owned by other work of issue 11, which makes them lazy too; drop them
	// from here when it lands.
	pending := map[string]bool{"exchange": true}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init gitlab\.com/aws-oidc/aws-oidc/src/internal/(\S+) @.* (\d+) bytes, (\d+) allocs$`)
	found := line.FindAllStringSubmatch(string(out), -1)
	if len(found) == 0 {
		t.Fatalf("no init trace of our packages in:\n%s", out)
	}
	for _, m := range found {
		pkg := m[1]
		bytes, _ := strconv.Atoi(m[2])
		allocs, _ := strconv.Atoi(m[3])
		if pending[strings.Split(pkg, "/")[0]] {
			continue
		}
		if allocs > 16 || bytes > 1024 {
			t.Errorf("package %s allocates %d bytes in %d allocations at init; compile regexps and build tables on first use (sync.OnceValue)", pkg, bytes, allocs)
		}
	}
}
