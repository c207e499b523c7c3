package exchange

import (
	"regexp"
	"strings"
	"testing"
)

// The rules the package checks with loops, as the regular expressions they
// once were: the loops must accept exactly what these do. (Compiled here,
// in the test, never at the binary's start-up.)
var (
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	roleNamePattern   = regexp.MustCompile(`^[\w+=,.@-]+$`)
	rolePathPattern   = regexp.MustCompile(`^/([\w+=,.@/-]*/)?$`)
	sessionIllegal    = regexp.MustCompile(`[^\w+=,.@-]`)
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	policyARNPattern  = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z]):iam::(aws|[0-9]{12}):policy/([\w+=,.@/-]*/)?([\w+=,.@-]+)$`)
	tagKeyPattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
)

// checkPatterns compares every loop with its pattern on s.
func checkPatterns(t *testing.T, s string) {
	t.Helper()
	same := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s %q: %v, the pattern says %v", what, s, got, want)
		}
	}
	same("account", IsAccountID(s), accountPattern.MatchString(s))
	same("role name", isIAMName(s), roleNamePattern.MatchString(s))
	same("role path", isRolePath(s), rolePathPattern.MatchString(s))
	same("external id", isExternalID(s), externalIDPattern.MatchString(s))
	same("region", isRegion(s), regionPattern.MatchString(s))
	m := policyARNPattern.FindStringSubmatch(s)
	same("policy ARN", isPolicyARN(s), m != nil && len(m[len(m)-1]) <= 128)
	same("tag key", s != "" && allRunes(s, tagRune), tagKeyPattern.MatchString(s))
	want := sessionIllegal.ReplaceAllString(s, "-")
	if len(want) > 64 {
		want = want[:64]
	}
	for len(want) < 2 {
		want += "_"
	}
	if got, _ := SessionName(s); got != want {
		t.Errorf("SessionName(%q) = %q, the pattern gives %q", s, got, want)
	}
}

func FuzzPatterns(f *testing.F) {
	for _, s := range []string{"123456789012", "deploy", "/", "//", "/a/b/", "us-east-1", "us-gov-west-1", "eu-isoe-west-1", "us-east-123", "ab--1",
		"arn:aws:iam::aws:policy/ReadOnly", "arn:aws-iso-b:iam::123456789012:policy/a/b/Name", "arn:aws:iam::123456789012:policy/",
		"arn:aws-iso-:iam::aws:policy/x", "arn:aws:iam::aws:policy//x", "équipe", "a b", "\xff", "ü$`\n"} {
		f.Add(s)
	}
	f.Fuzz(checkPatterns)
}

// TestPatterns builds many strings of the shapes the patterns look for
// (policy ARNs, regions, paths), which a fuzzer rarely finds on its own.
func TestPatterns(t *testing.T) {
	t.Parallel()
	chars := []string{"a", "z", "A", "0", "9", "_", "+", "=", ",", ".", "@", "-", "/", ":", " ", "$", "ü", "\xff"}
	seed := uint64(1)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % uint64(n))
	}
	word := func(max int) string {
		var b strings.Builder
		for i, n := 0, next(max+1); i < n; i++ {
			b.WriteString(chars[next(len(chars))])
		}
		return b.String()
	}
	partitions := []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-", "aws-iso-bb", "aws-iso-B", "aws-x", ""}
	accounts := []string{"aws", "123456789012", "12345678901", "1234567890123", "AWS", ""}
	for range 50000 {
		var s string
		switch next(4) {
		case 0:
			s = "arn:" + partitions[next(len(partitions))] + ":iam::" + accounts[next(len(accounts))] + ":policy/" + word(4)
			if next(2) == 0 {
				s += "/" + word(3)
			}
			if next(10) == 0 {
				s += strings.Repeat("a", 120+next(20))
			}
		case 1:
			s = []string{"us", "eu", "cn", "u", "use"}[next(5)]
			for range next(4) {
				s += "-" + []string{"east", "gov", "west", "", "B", "x1"}[next(6)]
			}
			s += "-" + []string{"1", "12", "123", "", "a"}[next(5)]
		case 2:
			s = "/" + word(5)
			if next(2) == 0 {
				s += "/"
			}
		default:
			s = word(8)
		}
		checkPatterns(t, s)
		if t.Failed() {
			return
		}
	}
}
