// The parameters of one role session as STS sees them: the
// role ARN and its partition, the region and its STS endpoint, the session
// name, the duration and the session policies. Everything here is checked
// before any network call, so a typo fails in milliseconds with the field
// named instead of as an opaque ValidationError from STS.

package exchange

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FieldError is a problem with one user-supplied value. Field is the flag
// name without dashes; the value itself is quoted in Msg only when it is not
// a secret (none of the fields here are).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid --%s: %s", e.Field, e.Msg) }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

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

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// Lengths are checked apart: bounded repeats such as {1,64} make
	// regexp compile a state per repetition, which cost most of the
	// binary's start-up.
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// IAM accepts any printable ASCII in a path; we accept the characters
	// of names and "/", so that no ARN we pass on can carry a quote, a "$" or
	// a backtick into a shell, dotenv or GITHUB_OUTPUT line.
	rolePathRE = regexp.MustCompile(`^/([\w+=,.@/-]*/)?$`)
)

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
	if _, ok := partitions[partition]; !ok {
		return ARN{}, fieldErr(field, "%q has unknown partition %q (valid: %s)", s, partition, strings.Join(PartitionNames(), ", "))
	}
	if service != "iam" {
		return ARN{}, fieldErr(field, "%q is an ARN of service %q; want an IAM role ARN (arn:%s:iam::...)", s, service, partition)
	}
	if region != "" {
		return ARN{}, fieldErr(field, "%q names region %q; IAM ARNs have an empty region field (arn:%s:iam::ACCOUNT:role/NAME)", s, region, partition)
	}
	if !accountRE.MatchString(account) {
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
	if len(path) > 512 || !rolePathRE.MatchString(path) {
		return ARN{}, fieldErr(field, "%q has an invalid role path %q (letters, digits, +=,.@_- and /)", s, path)
	}
	if len(name) > 64 || !roleNameRE.MatchString(name) {
		return ARN{}, fieldErr(field, "%q has an invalid role name %q (1 to 64 of letters, digits and +=,.@_-)", s, name)
	}
	return ARN{Partition: partition, AccountID: account, Path: path, Name: name, raw: s}, nil
}

// AccountFromAssumedRole returns the account of an STS assumed-role ARN
// (arn:aws:sts::123456789012:assumed-role/NAME/SESSION), or "" when it has
// none.
func AccountFromAssumedRole(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !accountRE.MatchString(parts[4]) {
		return ""
	}
	return parts[4]
}

// Duration limits of AssumeRoleWithWebIdentity.
const (
	MinDuration     = 15 * time.Minute
	MaxDuration     = 12 * time.Hour
	DefaultDuration = time.Hour
)

// ParseDuration reads whole seconds ("3600") or a Go duration ("1h") and
// checks STS's range. The role's own MaxSessionDuration can be lower; STS
// answers that with a ValidationError the hint layer explains.
func ParseDuration(s string) (time.Duration, error) {
	const field = "duration"
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultDuration, nil
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(MaxDuration/time.Second)*1000 {
			return 0, fieldErr(field, "%q is out of range; want 900 to 43200 seconds", s)
		}
		d = time.Duration(n) * time.Second
	} else {
		pd, perr := time.ParseDuration(s)
		if perr != nil {
			return 0, fieldErr(field, "%q is neither whole seconds (3600) nor a duration (1h, 90m)", s)
		}
		d = pd
	}
	if d%time.Second != 0 {
		return 0, fieldErr(field, "%q is not a whole number of seconds", s)
	}
	if d < MinDuration || d > MaxDuration {
		return 0, fieldErr(field, "%q is out of range; STS accepts 15m (900) to 12h (43200), and at most the role's MaxSessionDuration", s)
	}
	return d, nil
}

var sessionNameIllegal = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName makes s acceptable to STS: characters outside [\w+=,.@-]
// become "-", the result is cut to 64 characters and padded to at least 2.
// It reports whether s had to be rewritten, so the caller can say so.
func SessionName(s string) (name string, rewritten bool) {
	name = sessionNameIllegal.ReplaceAllString(s, "-")
	if len(name) > 64 {
		name = name[:64]
	}
	for len(name) < 2 {
		name += "_"
	}
	return name, name != s
}
