package cli

import "strings"

// The name rules of flags, checked byte by byte so that nothing is
// compiled at start-up (issue 11); names_test.go holds each against the
// regexp it replaced.

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// isVariableName is [A-Za-z_][A-Za-z0-9_]*, a shell variable's name: the
// rule of --token-env and --prefix.
func isVariableName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && c != '_' && (i == 0 || !isDigit(c)) {
			return false
		}
	}
	return s != ""
}

// isAccountID is [0-9]{12}: an AWS account id.
func isAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// isRoleName is [\w+=,.@-]{1,64}: IAM's rule for role names.
func isRoleName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && strings.IndexByte("_+=,.@-", c) < 0 {
			return false
		}
	}
	return s != "" && len(s) <= 64
}

// variableReference reports whether s is one CI/CD variable, $NAME or
// ${NAME}, and its name.
func variableReference(s string) (string, bool) {
	name, ok := strings.CutPrefix(s, "$")
	if braced, found := strings.CutPrefix(name, "{"); found {
		name, found = strings.CutSuffix(braced, "}")
		ok = ok && found
	}
	if !ok || !isVariableName(name) {
		return "", false
	}
	return name, true
}
