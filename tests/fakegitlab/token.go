package fakegitlab

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// Options shape one minted token. The zero value gives a valid GitLab token
// for mygroup/myproject on branch main, for the issuer's default audience,
// that lives five minutes (GitLab's lifetime for a job without a timeout).
type Options struct {
	// Audience is the aud claim; one value is sent as a string, several as
	// an array, as GitLab does.
	Audience []string
	// Lifetime is exp - iat; zero means five minutes, negative is allowed.
	Lifetime time.Duration
	// ClockShift moves iat, nbf and exp together: negative for a token made
	// in the past (expired), positive for one not valid yet.
	ClockShift time.Duration
	// ProjectPath is group/project; default mygroup/myproject.
	ProjectPath string
	// Ref and RefType default to main and branch.
	Ref     string
	RefType string
	// Environment, when set, adds the deployment claims.
	Environment string
	// Issuer overrides iss (the signature is still made by the issuer's key).
	Issuer string
	// SignWith signs with another key, whose kid the issuer does not publish.
	SignWith *Key
	// AlgNone makes an unsigned token with alg "none".
	AlgNone bool
	// Extra claims are set last and override the others.
	Extra map[string]any
}

// GitLabClaims returns GitLab's claim set for the options at time now. Numeric
// ids are strings, as GitLab sends them.
func (o Options) GitLabClaims(issuer string, defaultAudience string, now time.Time) map[string]any {
	project := or(o.ProjectPath, "mygroup/myproject")
	ref, refType := or(o.Ref, "main"), or(o.RefType, "branch")
	namespace, _, _ := strings.Cut(project, "/")
	refPath := "refs/heads/" + ref
	if refType == "tag" {
		refPath = "refs/tags/" + ref
	}
	host := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	c := map[string]any{
		"namespace_id":       "72",
		"namespace_path":     namespace,
		"project_id":         "22",
		"project_path":       project,
		"user_id":            "42",
		"user_login":         "alice",
		"user_email":         "alice@example.com",
		"user_access_level":  "developer",
		"pipeline_id":        "1001",
		"pipeline_source":    "push",
		"job_id":             "2002",
		"ref":                ref,
		"ref_type":           refType,
		"ref_path":           refPath,
		"ref_protected":      "true",
		"runner_id":          7,
		"runner_environment": "self-hosted",
		"sha":                "714a629c0b401fdce83e847fc9589983fc6f46bc",
		"project_visibility": "private",
		"ci_config_ref_uri":  host + "/" + project + "//.gitlab-ci.yml@" + refPath,
		"ci_config_sha":      "714a629c0b401fdce83e847fc9589983fc6f46bc",
		"groups_direct":      []string{namespace},
		"sub":                "project_path:" + project + ":ref_type:" + refType + ":ref:" + ref,
	}
	if o.Environment != "" {
		c["environment"] = o.Environment
		c["environment_protected"] = "false"
		c["deployment_tier"] = "production"
		c["environment_action"] = "start"
	}
	o.stamp(c, issuer, defaultAudience, now)
	return c
}

// GitHubClaims returns GitHub Actions' claim set for the repository (as
// group/project) and audience.
func (o Options) GitHubClaims(issuer string, audience string, now time.Time) map[string]any {
	repo := or(o.ProjectPath, "mygroup/myproject")
	ref := "refs/heads/" + or(o.Ref, "main")
	owner, _, _ := strings.Cut(repo, "/")
	c := map[string]any{
		"sub":                 "repo:" + repo + ":ref:" + ref,
		"ref":                 ref,
		"ref_type":            "branch",
		"repository":          repo,
		"repository_owner":    owner,
		"repository_id":       "123",
		"repository_owner_id": "456",
		"run_id":              "9001",
		"run_number":          "12",
		"run_attempt":         "1",
		"actor":               "alice",
		"workflow":            "deploy",
		"event_name":          "push",
		"job_workflow_ref":    repo + "/.github/workflows/deploy.yml@" + ref,
		"runner_environment":  "github-hosted",
	}
	o.Audience = []string{audience}
	o.stamp(c, issuer, audience, now)
	return c
}

// stamp adds the registered claims every token carries.
func (o Options) stamp(c map[string]any, issuer, defaultAudience string, now time.Time) {
	lifetime := o.Lifetime
	if lifetime == 0 {
		lifetime = 5 * time.Minute
	}
	iat := now.Add(o.ClockShift).Unix()
	aud := o.Audience
	if len(aud) == 0 {
		aud = []string{defaultAudience}
	}
	c["iss"] = or(o.Issuer, issuer)
	if len(aud) == 1 {
		c["aud"] = aud[0]
	} else {
		c["aud"] = aud
	}
	c["iat"] = iat
	c["nbf"] = iat
	c["exp"] = iat + int64(lifetime/time.Second)
	c["jti"] = newJTI()
	for k, v := range o.Extra {
		c[k] = v
	}
}

// sign encodes the claims as a compact JWS: RS256 with key (or o.SignWith),
// or unsigned with alg "none".
func (o Options) sign(claims map[string]any, key *Key) (string, error) {
	if o.SignWith != nil {
		key = o.SignWith
	}
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": key.ID}
	if o.AlgNone {
		header = map[string]any{"alg": "none", "typ": "JWT"}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("failed to encode header: %w", err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("failed to encode claims: %w", err)
	}
	if o.AlgNone {
		return tokentest.Encode(h, p, nil)
	}
	return tokentest.Encode(h, p, key.Private)
}

func newJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// ParseDuration reads a knob from a query string or flag: a Go duration or
// whole seconds ("-10m", "300").
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want seconds or a Go duration like 10m)", s)
	}
	return d, nil
}
