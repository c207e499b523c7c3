package awsconfig

import (
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// profileChars reports whether name is one or more of A-Za-z0-9_.+@-,
// checked byte by byte so that no regexp is compiled at start-up.
func profileChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.+@-", c) >= 0) {
			return false
		}
	}
	return name != ""
}

// IsName is the one rule for a profile name: 1 to 64 of A-Za-z0-9_.+@-
// (ReservedName apart, see ValidateName), for --profile and the roles
// file's profile: alike.
func IsName(name string) bool { return len(name) <= 64 && profileChars(name) }

// ReservedName is the one section name Python's configparser (and so the
// AWS CLI, which reads both files with it) treats specially: its
// DEFAULTSECT. A [DEFAULT] section's keys are defaults for every other
// section, so credentials written under it would become every profile's.
// Only this exact spelling is special; "default" is the ordinary default
// profile.
const ReservedName = "DEFAULT"

// ValidateName checks a profile name. The AWS CLI accepts more, but a name
// that is also safe in a shell, a file name and a Terraform string avoids
// surprises. ReservedName is refused.
func ValidateName(name string) error {
	if !IsName(name) {
		return &exchange.FieldError{Field: "profile", Msg: fmt.Sprintf("%q must be 1 to 64 letters, digits and _.+@- (for example prod)", name)}
	}
	if name == ReservedName {
		return &exchange.FieldError{Field: "profile", Msg: reservedMsg}
	}
	return nil
}

// reservedMsg explains the refusal of ReservedName.
const reservedMsg = `"DEFAULT" is reserved: the AWS CLI reads a [DEFAULT] section as defaults for every profile, ` +
	`so its credentials would become every other profile's; use "default" for the default profile, or another name`
