// Package ruletest holds a name rule written as a byte loop (so that start-up
// compiles nothing) against the regular expression it replaced, over every
// short string around the edges of the usual character classes.
package ruletest

import (
	"regexp"
	"strings"
	"testing"
)

// SameAsRegexp fails t for every sample on which rule and pattern disagree;
// name is the rule's name in the failure messages.
func SameAsRegexp(t *testing.T, name, pattern string, rule func(string) bool) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, s := range Samples() {
		if got, want := rule(s), re.MatchString(s); got != want {
			t.Errorf("%s(%q) = %v, the regexp %s says %v", name, s, got, pattern, want)
		}
	}
}

// Samples are every string of up to three bytes from characters at and
// around the edges of the name rules' classes, long runs of each, and
// account-id-like strings of around 12 digits.
func Samples() []string {
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
