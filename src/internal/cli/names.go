package cli

import "strings"

// The name rules of flags, checked byte by byte so that nothing is
// compiled at start-up (issue 11); names_test.go holds each against the
// regexp it replaced.

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// isRoleName is [\w+=,.@-]{1,64}: IAM's rule for role names.
func isRoleName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && strings.IndexByte("_+=,.@-", c) < 0 {
			return false
		}
	}
	return s != "" && len(s) <= 64
}
