package output

import (
	"slices"
	"strings"
)

// replacedEnvs are the variables Environ replaces: any of them left from
// the parent would compete with the new credentials in the SDKs' lookup
// order.
var replacedEnvs = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_REGION", "AWS_DEFAULT_REGION",
}

// Environ is a process environment (KEY=VALUE entries) for a command that
// gets vars: environ without any variable through which the AWS CLI and
// SDKs would find other credentials, a profile or a region first, then
// vars.
func Environ(environ []string, vars []Var) []string {
	out := make([]string, 0, len(environ)+len(vars))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(replacedEnvs, name) {
			out = append(out, kv)
		}
	}
	for _, v := range vars {
		out = append(out, v.Key+"="+v.Value)
	}
	return out
}
