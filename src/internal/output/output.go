// Package output owns every format in which aws-oidc hands credentials on: the
// GitLab dotenv report, GitHub Actions environment and output files, shell
// export lines for eval, and the AWS CLI credential_process document.
//
// Each writer checks everything it is given before it writes anything, so a
// refusal never leaves half an output behind, and no error it returns ever
// holds a secret value. A Set writes a run's outputs all or nothing: each is
// prepared before any is written, and a late failure puts back the others.
// Clean takes out again exactly what such a run wrote, and nothing of
// anyone else's.
package output

import (
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// Var is one exported variable.
type Var struct {
	Key   string
	Value string
	// Secret marks a value that must never appear in a log or an error, and
	// that the GitHub writer masks before exporting.
	Secret bool
}

// The variable names, without a prefix, that AWS SDKs and the AWS CLI read.
const (
	KeyAccessKeyID          = "AWS_ACCESS_KEY_ID"
	KeySecretAccessKey      = "AWS_SECRET_ACCESS_KEY"
	KeySessionToken         = "AWS_SESSION_TOKEN"
	KeyRegion               = "AWS_REGION"
	KeyDefaultRegion        = "AWS_DEFAULT_REGION"
	KeyCredentialExpiration = "AWS_CREDENTIAL_EXPIRATION"
)

// Variables returns the variables for one role session, in a fixed order,
// each key prefixed by prefix (PROD_ gives PROD_AWS_ACCESS_KEY_ID, so that
// several roles fit in one job).
//
// AWS_REGION and AWS_DEFAULT_REGION are left out when the session has no
// region: an empty region variable breaks SDKs that would otherwise fall back
// to their configuration file. The expiration is RFC 3339 in UTC with whole
// seconds, the form the AWS CLI and SDKs parse.
func Variables(prefix string, c exchange.Credentials, s exchange.Session) []Var {
	vars := []Var{
		{Key: prefix + KeyAccessKeyID, Value: c.AccessKeyID},
		{Key: prefix + KeySecretAccessKey, Value: c.SecretAccessKey, Secret: true},
		{Key: prefix + KeySessionToken, Value: c.SessionToken, Secret: true},
	}
	if s.Region != "" {
		vars = append(vars,
			Var{Key: prefix + KeyRegion, Value: s.Region},
			Var{Key: prefix + KeyDefaultRegion, Value: s.Region},
		)
	}
	return append(vars, Var{Key: prefix + KeyCredentialExpiration, Value: formatExpiration(c.Expiration)})
}

// formatExpiration renders an expiry the way the AWS CLI prints and parses it.
func formatExpiration(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
