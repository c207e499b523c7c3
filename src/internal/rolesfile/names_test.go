package rolesfile

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidNameIsTheRegexp checks the byte loop against the regexp it replaced, so that
// start-up compiles nothing and the rule stays exactly what it was.
func TestValidNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	for _, s := range samples() {
		if got, want := validName(s), re.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

// samples are every string of up to three bytes from characters at and
// around the edges of the rules' classes, and long runs of each.
func samples() []string {
	chars := []string{"a", "z", "A", "Z", "0", "9", "_", ".", "-", "+", "@", "/", ":", "`", "{", "[", "^", " ", "\n", "\x00", "\xff", "é"}
	out := []string{""}
	for n, prev := 0, []string{""}; n < 3; n++ {
		var next []string
		for _, p := range prev {
			for _, c := range chars {
				next = append(next, p+c)
			}
		}
		out, prev = append(out, next...), next
	}
	for _, c := range chars {
		for _, n := range []int{2, 3, 12, 13, 61, 62, 63, 64, 65} {
			out = append(out, strings.Repeat(c, n), "a"+strings.Repeat(c, n-2)+"a", strings.Repeat("1", n-1)+c)
		}
	}
	return out
}
