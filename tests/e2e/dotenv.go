package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// GitLab's limits on a dotenv report (REFERENCE.md §1): self-managed defaults.
const (
	dotenvMaxBytes     = 5120
	dotenvMaxVariables = 20
)

var dotenvKey = regexp.MustCompile(`^[A-Za-z0-9_]{1,255}$`)

// ParseDotenv reads a dotenv report the way GitLab does, and refuses
// everything GitLab refuses or would read differently from what the writer
// meant: blank lines, comments, `export `, quotes, whitespace, `$`, a BOM,
// invalid UTF-8, and the size and count limits. It is written from GitLab's
// rules, not from our writer, so the two check each other.
func ParseDotenv(data []byte) (map[string]string, error) {
	if len(data) >= dotenvMaxBytes {
		return nil, fmt.Errorf("%d bytes, GitLab accepts under %d", len(data), dotenvMaxBytes)
	}
	if !utf8.Valid(data) || strings.HasPrefix(string(data), "\uFEFF") {
		return nil, fmt.Errorf("not UTF-8 without a BOM")
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("no final newline")
	}
	vars := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		key, value, ok := strings.Cut(line, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d is not KEY=VALUE (blank or comment lines are rejected)", i+1)
		case !dotenvKey.MatchString(key):
			return nil, fmt.Errorf("line %d: key %q does not match %s", i+1, key, dotenvKey)
		case strings.TrimSpace(value) != value || strings.ContainsAny(value, " \t\r"):
			return nil, fmt.Errorf("line %d: value of %s holds whitespace", i+1, key)
		case strings.Contains(value, "$"):
			return nil, fmt.Errorf("line %d: value of %s holds $, which a consumer may expand", i+1, key)
		case strings.HasPrefix(value, `"`) || strings.HasPrefix(value, `'`):
			return nil, fmt.Errorf("line %d: value of %s is quoted; GitLab keeps quotes", i+1, key)
		case value == "":
			return nil, fmt.Errorf("line %d: %s is empty", i+1, key)
		}
		if _, dup := vars[key]; dup {
			return nil, fmt.Errorf("line %d: %s appears twice", i+1, key)
		}
		vars[key] = value
	}
	if len(vars) > dotenvMaxVariables {
		return nil, fmt.Errorf("%d variables, GitLab accepts at most %d by default", len(vars), dotenvMaxVariables)
	}
	return vars, nil
}
