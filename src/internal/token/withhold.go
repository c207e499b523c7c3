package token

import (
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// MintEnvs are GitHub's request token and URL: with them any step can
// request an ID token of its own.
var MintEnvs = []string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"}

// Withhold returns environ (KEY=VALUE entries) without what would hand the
// job's ID token on to another process, or let it mint one: the variables
// it can be read from (p's, the defaults, AWS_OIDC_TOKEN_FILE and
// MintEnvs), and any variable holding value, the token read, whole or in
// part (BEARER="Bearer $TOKEN", the signature alone), or GitHub's request
// token. The order of the rest is kept.
func Withhold(environ []string, p Pick, value string, getenv func(string) string) []string {
	names := slices.Concat(DefaultEnvs, p.Envs, []string{"AWS_OIDC_TOKEN_FILE"}, MintEnvs)
	values := logging.NewSecrets()
	// The payload and the signature, not the header: it is the same for
	// every token of the issuer and tells nothing.
	if parts := strings.Split(strings.TrimSpace(value), "."); len(parts) == 3 {
		values.Add(parts[1], parts[2])
	} else {
		values.Add(strings.TrimSpace(value))
	}
	values.Add(getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, v, _ := strings.Cut(kv, "=")
		if slices.Contains(names, name) || values.Holds(v) {
			continue
		}
		out = append(out, kv)
	}
	return out
}
