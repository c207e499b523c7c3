package doctor

import (
	"errors"
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// FlagAudience names the audience setting on the command line.
const FlagAudience = "--audience/$AWS_OIDC_AUDIENCE"

// TokenFix says what to do about a token that could not be read or that
// STS would refuse: err is package token's (a missing, malformed, expired,
// early or wrong-audience token), platform is where the job runs,
// ignoredFile is the $AWS_WEB_IDENTITY_TOKEN_FILE a CI job left unused (""
// if none), and audience names the audience setting (FlagAudience on the
// command line, the input in the assume-role component). It is "" for an
// error it has no advice on. assume's hint and doctor's token check both
// say it, so the two never disagree.
func TokenFix(err error, platform ci.Platform, ignoredFile, audience string) string {
	h := tokenFix(err, platform, audience)
	var missing *token.MissingError
	if ignoredFile != "" && errors.As(err, &missing) {
		h += fmt.Sprintf("\n$AWS_WEB_IDENTITY_TOKEN_FILE (%q) was not used: in a CI job it is the runner's own token (a Kubernetes pod's), not the job's. "+
			"To use that file anyway, name it with --token-file or $AWS_OIDC_TOKEN_FILE", ignoredFile)
	}
	return h
}

func tokenFix(err error, platform ci.Platform, audienceSetting string) string {
	var (
		missing  *token.MissingError
		expired  *token.ExpiredError
		early    *token.NotYetValidError
		audience *token.AudienceError
		life     *token.LifetimeError
		bad      *token.MalformedError
	)
	switch {
	case errors.As(err, &missing) && (missing.GitHub || platform == ci.GitHub):
		return "give the workflow or job `permissions: id-token: write` (and keep `contents: read`), so GitHub can issue an ID token"
	case errors.As(err, &missing) && missing.Path != "":
		return "point --token-file or $AWS_OIDC_TOKEN_FILE at a file holding the token, or pass it in a variable with --token-env"
	case errors.As(err, &missing):
		name := "GITLAB_OIDC_TOKEN"
		if len(missing.Names) == 1 {
			name = missing.Names[0]
		}
		return fmt.Sprintf("add an ID token to the job:\n  id_tokens:\n    %s:\n      aud: https://gitlab.example.com   # the audience your IAM OIDC provider lists\n"+
			"or name the variable that holds it with --token-env", name)
	case errors.As(err, &expired):
		return "the token expired before it was used. GitLab ID tokens live as long as the job's timeout (5 minutes without one): run aws-oidc at the start of the job, and check the runner's clock"
	case errors.As(err, &early):
		return "this machine's clock is behind the issuer's; sync it (NTP) on the runner"
	case errors.As(err, &audience):
		return fmt.Sprintf("the token's aud is %s. Make `id_tokens: ... aud:` the audience your IAM OIDC provider lists (%q), or drop %s",
			quoteJoin(audience.Got), audience.Want, audienceSetting)
	case errors.As(err, &life):
		return "the token is about to expire: run aws-oidc earlier in the job, or give the job a longer timeout"
	case errors.As(err, &bad) && bad.Claim == "alg":
		return "STS only accepts tokens signed by the issuer's published keys (GitLab and GitHub sign with RS256); " +
			"pass the job's ID token itself, not a token made or re-signed elsewhere"
	case errors.As(err, &bad) && bad.Claim == "exp":
		return "STS needs a token with a numeric expiry (\"exp\"); GitLab's `id_tokens:` tokens always have one, so pass the job's ID token itself"
	case errors.As(err, &bad):
		return "the variable does not hold a GitLab ID token: declare it under `id_tokens:` and do not overwrite it; CI_JOB_JWT is gone since GitLab 17.0"
	}
	return ""
}

// quoteJoin quotes each value and joins them with ", ": "" for none.
func quoteJoin(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
