package exchange

import (
	"regexp"
	"strings"
	"testing"
)

// TestIsAccountIDIsTheRegexp holds the one account-id rule (role ARNs,
// policy ARNs, --allowed-account, trust policies) against the regexp it
// replaced, so that start-up compiles nothing and the rule stays exactly
// what it was.
func TestIsAccountIDIsTheRegexp(t *testing.T) {
	t.Parallel()
	for _, s := range nameSamples() {
		if got, want := IsAccountID(s), accountPattern.MatchString(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

// TestIsRoleNameIsTheRegexp holds the one role-name rule (role ARNs,
// trust-policy --role-name) against the regexp it replaced.
func TestIsRoleNameIsTheRegexp(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	for _, s := range nameSamples() {
		if got, want := IsRoleName(s), re.MatchString(s); got != want {
			t.Errorf("IsRoleName(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

// nameSamples are every string of up to three bytes from characters at and
// around the edges of the name rules' classes, long runs of each, and
// account-id-like strings of around 12 digits.
func nameSamples() []string {
	chars := []string{"a", "z", "A", "Z", "0", "9", "_", ".", "-", "+", "=", ",", "@", "/", ":", "`", "$", "{", "}", "[", "^", " ", "\n", "\x00", "\xff", "é"}
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
	return append(out, "123456789012", "12345678901", "1234567890123", "12345678901a", "${AWS_ROLE}", "$AWS_ROLE")
}
