// The duration and the name of one role session. Like every parameter of a
// session (the role ARN in arn.go, the region in partition.go, the
// policies in policy.go), they are checked before any network call, so a
// typo fails in milliseconds with the field named instead of as an opaque
// ValidationError from STS.

package exchange

import (
	"strconv"
	"strings"
	"time"
)

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

// SessionName makes s acceptable to STS: characters outside [\w+=,.@-]
// become "-", the result is cut to 64 characters and padded to at least 2.
// It reports whether s had to be rewritten, so the caller can say so.
func SessionName(s string) (name string, rewritten bool) {
	var b strings.Builder
	for _, r := range s {
		if !iamRune(r) {
			r = '-'
		}
		b.WriteRune(r)
	}
	name = b.String()
	if len(name) > 64 {
		name = name[:64]
	}
	for len(name) < 2 {
		name += "_"
	}
	return name, name != s
}
