// The temporary AWS credentials value that flows from
// the STS exchange to the writers, and makes sure it can never be printed by
// accident: every formatting path redacts the secret parts.

package exchange

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Credentials are the temporary credentials STS returns for one role session.
//
// Printing a Credentials value with fmt, %v, %+v, %#v or slog shows only the
// redacted access key id and the expiry, never the secret key or the session
// token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Session describes the role session the credentials belong to.
type Session struct {
	// RoleARN is the role that was assumed, as the user gave it.
	RoleARN string
	// AssumedRoleARN is the sts assumed-role ARN STS answered with, when known.
	AssumedRoleARN string
	// AccountID is the 12-digit account the role lives in.
	AccountID string
	// SessionName is the role session name sent to STS.
	SessionName string
	// Region is the AWS region the credentials are meant for.
	Region string
}

// String, GoString, Format, LogValue and MarshalJSON below are guards:
// nothing of ours calls them, so dead-code tools list them (and
// RedactKeyID, which only they use), but they are what makes a stray fmt,
// slog or json call print a redacted value instead of the secrets. Keep
// them; TestCredentialsNeverPrintSecrets holds them to it.

// RedactKeyID shows at most the first and last four characters of an access
// key id, which is enough to find it in CloudTrail and useless to an attacker.
func RedactKeyID(id string) string {
	if len(id) < 12 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// String implements fmt.Stringer without any secret.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials{key=%s expires=%s}", RedactKeyID(c.AccessKeyID), c.Expiration.UTC().Format(time.RFC3339))
}

// GoString implements fmt.GoStringer so that %#v cannot reveal the secrets.
func (c Credentials) GoString() string { return c.String() }

// Format implements fmt.Formatter so that every verb, including %+v and %q,
// goes through String.
func (c Credentials) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprint(f, c.String())
}

// LogValue implements slog.LogValuer.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", RedactKeyID(c.AccessKeyID)),
		slog.Time("expiration", c.Expiration.UTC()),
	)
}

// MarshalJSON keeps a stray json.Marshal from writing the secrets; the
// credential_process writer builds its own document on purpose.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"AccessKeyId": RedactKeyID(c.AccessKeyID),
		"Expiration":  c.Expiration.UTC().Format(time.RFC3339),
	})
}
