package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestNamesMatchTheirRegexps holds each byte-by-byte name rule against the
// regexp it replaced, over every string of up to three characters from
// around its classes' edges, and a few long ones.
func TestNamesMatchTheirRegexps(t *testing.T) {
	t.Parallel()
	alphabet := []string{"", "a", "z", "A", "Z", "0", "9", "_", "-", "+", "=", ",", ".", "@", "$", "{", "}", " ", "/", ":", "é", "\n", "`"}
	var inputs []string
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, c := range alphabet {
				inputs = append(inputs, a+b+c)
			}
		}
	}
	inputs = append(inputs, "123456789012", "12345678901", "1234567890123", "12345678901a", "${AWS_ROLE}", "$AWS_ROLE",
		strings.Repeat("r", 64), strings.Repeat("r", 65), "${A", "$A}", "${}")
	rules := []struct {
		name string
		re   *regexp.Regexp
		got  func(string) bool
	}{
		{"role_name", regexp.MustCompile(`^[\w+=,.@-]{1,64}$`), isRoleName},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range inputs {
				if want := r.re.MatchString(s); r.got(s) != want {
					t.Errorf("%q: got %v, want %v", s, !want, want)
				}
			}
		})
	}
}
