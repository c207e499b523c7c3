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
		{"variable_name", regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`), isVariableName},
		{"account_id", regexp.MustCompile(`^[0-9]{12}$`), isAccountID},
		{"role_name", regexp.MustCompile(`^[\w+=,.@-]{1,64}$`), isRoleName},
		{"variable_reference", regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`),
			func(s string) bool { _, ok := variableReference(s); return ok }},
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
	ref := regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)
	for _, s := range []string{"$AWS_ROLE", "${AWS_ROLE}", "$_x1"} {
		m := ref.FindStringSubmatch(s)
		if name, _ := variableReference(s); name != m[1]+m[2] {
			t.Errorf("variableReference(%q) = %q, want %q", s, name, m[1]+m[2])
		}
	}
}
