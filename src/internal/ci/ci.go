// Package ci owns what differs between the places aws-oidc runs: GitLab CI,
// GitHub Actions and a plain shell. It detects the platform from the
// environment, names the default role session and the default output, and
// folds long diagnostics into the platform's collapsible log sections. It
// also holds what GitLab's variable precedence means for the tool: the
// assume-role component's inputs and the CI/CD variables that outrank them
// (component.go), and the credential variables that outrank a dotenv
// report (guard.go). IsVariableName is the one rule for a variable's name
// (--prefix, --token-env, the roles file's prefixes, shell exports).
package ci

import (
	"fmt"
	"io"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Platform is where the process runs.
type Platform int

const (
	// Local is a shell, a container or any CI system we do not know.
	Local Platform = iota
	GitLab
	GitHub
)

func (p Platform) String() string {
	switch p {
	case GitLab:
		return "gitlab"
	case GitHub:
		return "github"
	default:
		return "local"
	}
}

// Detect reads the variables both CI systems document as always set.
func Detect(getenv func(string) string) Platform {
	switch {
	case getenv("GITLAB_CI") == "true":
		return GitLab
	case getenv("GITHUB_ACTIONS") == "true":
		return GitHub
	default:
		return Local
	}
}

// DefaultOutput is the output format that fits the platform: GitLab jobs
// hand credentials on as a dotenv report, GitHub steps through GITHUB_ENV,
// and a shell evals export lines.
func (p Platform) DefaultOutput() string {
	switch p {
	case GitLab:
		return "dotenv"
	case GitHub:
		return "github"
	default:
		return "shell"
	}
}

// DefaultSessionName names the role session after the job, so CloudTrail
// entries lead back to it: GitLabRunner-<project>-<pipeline>-<job> or
// GitHubActions-<run id>.
func (p Platform) DefaultSessionName(getenv func(string) string, now func() time.Time) string {
	switch p {
	case GitLab:
		return joinNonEmpty("GitLabRunner", getenv("CI_PROJECT_ID"), getenv("CI_PIPELINE_ID"), getenv("CI_JOB_ID"))
	case GitHub:
		return joinNonEmpty("GitHubActions", getenv("GITHUB_RUN_ID"), getenv("GITHUB_RUN_ATTEMPT"))
	default:
		return fmt.Sprintf("aws-oidc-%d", now().Unix())
	}
}

func joinNonEmpty(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "-")
}

// Section writes the start of a collapsible log section and returns the
// function that ends it. Outside a CI system it writes a plain heading.
//
// The markers hold control characters (GitLab) or start with "::" (GitHub),
// which a logging.Writer escapes in anything else: they are written through
// logging.Raw, and no value from outside ever goes into one.
func (p Platform) Section(w io.Writer, name, title string, now func() time.Time) (end func()) {
	w = logging.Raw(w)
	switch p {
	case GitLab:
		// https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
		fmt.Fprintf(w, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", now().Unix(), name, title)
		return func() { fmt.Fprintf(w, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", now().Unix(), name) }
	case GitHub:
		fmt.Fprintf(w, "::group::%s\n", title)
		return func() { fmt.Fprintln(w, "::endgroup::") }
	default:
		fmt.Fprintf(w, "--- %s\n", title)
		return func() {}
	}
}
