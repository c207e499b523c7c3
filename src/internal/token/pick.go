package token

import (
	"net/http"
	"slices"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
)

// DefaultEnvs are the variables tried in order when no variable is named.
var DefaultEnvs = []string{"AWS_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}

// AmbientFileVar is the AWS SDKs' token file variable: in a CI job it is
// the runner's own token (a Kubernetes pod's IRSA token), never the job's.
const AmbientFileVar = "AWS_WEB_IDENTITY_TOKEN_FILE"

// Settings are what names the job's token: the values of the token flags
// and their variables, already read, and where the file came from.
type Settings struct {
	Platform ci.Platform
	// Env names the one variable that holds the token (--token-env).
	Env string
	// File is a token file and FileFrom the flag or variable that named
	// it ("--token-file", "$AWS_OIDC_TOKEN_FILE", "$AWS_WEB_IDENTITY_TOKEN_FILE").
	File, FileFrom string
	// Audience is the audience asked for (--audience), "" for none.
	Audience string
	// GitHubAudience is the audience to request from GitHub when Audience
	// is empty: the one STS of the role's partition expects.
	GitHubAudience string
	Getenv         func(string) string
}

// Pick is where the job's token comes from, and what a hint or a check
// needs to know about that choice.
type Pick struct {
	// Envs are the variables read in order; File the file read instead;
	// GitHub requests the token from GitHub's endpoint.
	Envs     []string
	File     string
	FileFrom string
	GitHub   bool
	// Audience is Settings.Audience, on GitHub defaulted to the one
	// requested.
	Audience string
	// IgnoredFile is an $AWS_WEB_IDENTITY_TOKEN_FILE left unused in a CI
	// job, for the hint when the job's token is missing.
	IgnoredFile string
	// Platform is the CI system the job runs on, for the hints.
	Platform ci.Platform
	getenv   func(string) string
}

// Choose is the one rule that picks the token's source, for every command.
// In a CI job only the job's own token counts (its id_tokens: variable, or
// GitHub's endpoint) unless a file is asked for by name (--token-file,
// $AWS_OIDC_TOKEN_FILE): an AWS_WEB_IDENTITY_TOKEN_FILE there is the
// runner's own, never the job's. Outside CI it is read like the AWS SDKs
// read it.
func Choose(s Settings) Pick {
	p := Pick{Audience: s.Audience, FileFrom: s.FileFrom, Platform: s.Platform, getenv: s.Getenv}
	ambient := s.FileFrom == "$"+AmbientFileVar
	switch {
	case s.FileFrom == "--token-file":
		p.File = s.File
	case s.Env != "":
		p.Envs = []string{s.Env}
	case s.File != "" && !ambient:
		p.File = s.File
	case slices.ContainsFunc(DefaultEnvs, func(n string) bool { return s.Getenv(n) != "" }):
		p.Envs = DefaultEnvs
	case ambient && s.Platform == ci.Local:
		p.File = s.File
	case s.Platform == ci.GitHub:
		p.GitHub = true
		p.IgnoredFile = s.File
		if p.Audience == "" {
			p.Audience = s.GitHubAudience
		}
	default:
		p.Envs = DefaultEnvs
		p.IgnoredFile = s.File
	}
	return p
}

// CheckAudience is the audience the token must hold: none on GitHub, where
// the token was requested for it and GitHub put it there.
func (p Pick) CheckAudience() string {
	if p.GitHub {
		return ""
	}
	return p.Audience
}

// Source reads the token as picked; client sends GitHub's request (nil:
// a default client).
func (p Pick) Source(client *http.Client) Source {
	switch {
	case p.File != "":
		return FileSource{Path: p.File, From: p.FileFrom}
	case p.GitHub:
		return NewGitHubSource(p.getenv, client, p.Audience)
	default:
		return EnvSource{Names: p.Envs, Getenv: p.getenv}
	}
}
