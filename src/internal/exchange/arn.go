// The role ARN, parsed once and passed on typed until the SDK call.

package exchange

import "strings"

// ARN is a parsed IAM role ARN.
type ARN struct {
	Partition string
	AccountID string
	// Path is the role path without the leading "role", for example "/ci/".
	Path string
	Name string
	raw  string
}

func (a ARN) String() string { return a.raw }

// The patterns of this package are plain loops, not regular expressions:
// nothing is compiled at start-up, which regexp.MustCompile at package
// level costs every run of the binary (issue 11).

// iamRune reports whether r is one of IAM's name characters, [\w+=,.@-]:
// those of role names, session names, source identities and, with others,
// external ids and policy ARNs.
func iamRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_+=,.@-", r)
}

// allRunes reports whether every rune of s is ok; a byte that is not UTF-8
// is utf8.RuneError.
func allRunes(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// IsAccountID reports whether s is an AWS account id: exactly 12 digits
// ([0-9]{12}). It is the one definition of the rule: flags, roles and
// trust policies all check account ids with it.
func IsAccountID(s string) bool {
	return len(s) == 12 && allRunes(s, func(r rune) bool { return '0' <= r && r <= '9' })
}

// isIAMName reports whether s has only IAM's name characters; its length
// is checked apart.
func isIAMName(s string) bool { return s != "" && allRunes(s, iamRune) }

// IsRoleName is IAM's rule for role names, [\w+=,.@-]{1,64}: the one
// definition, for role ARNs and trust-policy --role-name alike.
func IsRoleName(s string) bool { return len(s) <= 64 && isIAMName(s) }

// isRolePath reports whether s is a role path: "/", or "/" and names ending
// in "/". IAM accepts any printable ASCII in a path; we accept the
// characters of names and "/", so that no ARN we pass on can carry a quote,
// a "$" or a backtick into a shell, dotenv or GITHUB_OUTPUT line.
func isRolePath(s string) bool {
	return strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") && allRunes(s, func(r rune) bool { return r == '/' || iamRune(r) })
}

// ParseARN checks a role ARN in the form
// arn:PARTITION:iam::ACCOUNT:role[/PATH]/NAME.
func ParseARN(s string) (ARN, error) {
	const field = "role-arn"
	if s == "" {
		return ARN{}, fieldErr(field, "the role ARN is required (for example arn:aws:iam::123456789012:role/deploy)")
	}
	if len(s) < 20 || len(s) > 2048 {
		return ARN{}, fieldErr(field, "%q must be 20 to 2048 characters long", s)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return ARN{}, fieldErr(field, "%q holds whitespace or a non-ASCII character; copy the ARN from the IAM console again", s)
		}
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fieldErr(field, "%q is not an ARN; want arn:aws:iam::123456789012:role/NAME", s)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if _, ok := partitionNamed(partition); !ok {
		return ARN{}, fieldErr(field, "%q has unknown partition %q (valid: %s)", s, partition, strings.Join(PartitionNames(), ", "))
	}
	if service != "iam" {
		return ARN{}, fieldErr(field, "%q is an ARN of service %q; want an IAM role ARN (arn:%s:iam::...)", s, service, partition)
	}
	if region != "" {
		return ARN{}, fieldErr(field, "%q names region %q; IAM ARNs have an empty region field (arn:%s:iam::ACCOUNT:role/NAME)", s, region, partition)
	}
	if !IsAccountID(account) {
		return ARN{}, fieldErr(field, "%q has account %q; want exactly 12 digits", s, account)
	}
	kind, rest, _ := strings.Cut(resource, "/")
	if kind != "role" {
		return ARN{}, fieldErr(field, "%q names a %q, not a role; want ...:role/NAME", s, kind)
	}
	path, name := "/", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		path, name = "/"+rest[:i+1], rest[i+1:]
	}
	if len(path) > 512 || !isRolePath(path) {
		return ARN{}, fieldErr(field, "%q has an invalid role path %q (letters, digits, +=,.@_- and /)", s, path)
	}
	if !IsRoleName(name) {
		return ARN{}, fieldErr(field, "%q has an invalid role name %q (1 to 64 of letters, digits and +=,.@_-)", s, name)
	}
	return ARN{Partition: partition, AccountID: account, Path: path, Name: name, raw: s}, nil
}

// AssumedRoleAccount returns the account of an STS assumed-role ARN in
// partition (arn:aws:sts::123456789012:assumed-role/NAME/SESSION), and
// false for anything else: another partition, another service or resource,
// a role or session name IAM would not give.
func AssumedRoleAccount(arn, partition string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != partition || parts[2] != "sts" || parts[3] != "" || !IsAccountID(parts[4]) {
		return "", false
	}
	resource := strings.Split(parts[5], "/")
	if len(resource) != 3 || resource[0] != "assumed-role" || !IsRoleName(resource[1]) ||
		len(resource[2]) < 2 || len(resource[2]) > 64 || !isIAMName(resource[2]) {
		return "", false
	}
	return parts[4], true
}
