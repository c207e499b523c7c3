package cli

import (
	"errors"
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
)

// AccountError is a role or session in an account --allowed-account does
// not list. Nothing is written when it is returned.
type AccountError struct {
	Account string
	Allowed []string
	// What is the role or assumed role ARN that was checked.
	What string
}

func (e *AccountError) Error() string { return e.errorIn(naming{}) }

func (e *AccountError) errorIn(n naming) string {
	return fmt.Sprintf("account %s of %q is not allowed (%s: %s)", e.Account, e.What, n.flag("allowed-account"), strings.Join(e.Allowed, ", "))
}

// ExitCode: the configuration names the wrong role or the wrong account.
func (e *AccountError) ExitCode() int { return ExitConfig }

// Hint says which of the two to fix.
func (e *AccountError) Hint() string { return e.hintIn(naming{}) }

func (e *AccountError) hintIn(n naming) string {
	return fmt.Sprintf("check that the role ARN names the account you mean, or add %s to %s", e.Account, n.setting("allowed-account"))
}

// UnprovenAccountError is an answer whose assumed role ARN names no
// account of the role's partition, so --allowed-account cannot hold.
// Nothing is written when it is returned.
type UnprovenAccountError struct {
	ARN, Partition string
}

func (e *UnprovenAccountError) Error() string {
	return fmt.Sprintf("STS answered the assumed role ARN %q, which is not an assumed role of partition %s (arn:%s:sts::<account>:assumed-role/<role>/<session>), so its account cannot be checked against the allowed ones",
		e.ARN, e.Partition, e.Partition)
}

// ExitCode: STS's answer is refused.
func (e *UnprovenAccountError) ExitCode() int { return ExitRefused }

// Hint says where the answer comes from.
func (e *UnprovenAccountError) Hint() string {
	return "AWS STS always answers with arn:<partition>:sts::<account>:assumed-role/...; check that the STS endpoint is AWS's or a server that answers as it does"
}

// checkS3Error is a failed --check-s3, with the exit code of a refusal or a
// transient failure.
type checkS3Error struct{ err *s3check.Error }

func (e *checkS3Error) Error() string { return e.err.Error() }
func (e *checkS3Error) Unwrap() error { return e.err }
func (e *checkS3Error) Hint() string  { return e.err.Hint() }

func (e *checkS3Error) hintIn(n naming) string { return e.err.HintFor(n.flag) }
func (e *checkS3Error) ExitCode() int {
	if e.err.Transient() {
		return ExitTransient
	}
	return ExitRefused
}

// rolesFileError is a --roles file that cannot be used.
type rolesFileError struct{ err error }

func (e *rolesFileError) Error() string { return e.err.Error() }
func (e *rolesFileError) Unwrap() error { return e.err }
func (e *rolesFileError) ExitCode() int { return ExitConfig }
func (e *rolesFileError) Hint() string {
	var fe *rolesfile.FileError
	if errors.As(e.err, &fe) {
		return fe.Hint()
	}
	return ""
}

// roleFailure is one role of --roles that failed.
type roleFailure struct {
	Name, RoleARN string
	Err           error
}

// RolesError is a --roles run in which some roles failed: nothing at all
// was written.
type RolesError struct {
	Failed []roleFailure
	Total  int
}

func (e *RolesError) Error() string { return strings.Join(e.Lines(), "\n") }

// Lines are the summary and one line per failed role, each printed as a
// line of its own: the line breaks are ours, while anything inside a
// role's error is escaped within its line.
func (e *RolesError) Lines() []string {
	lines := []string{fmt.Sprintf("%d of %d roles failed, so nothing was written", len(e.Failed), e.Total)}
	for _, f := range e.Failed {
		lines = append(lines, fmt.Sprintf("  role %q (%s): %s", f.Name, f.RoleARN, logging.Line(f.Err.Error())))
	}
	return lines
}

// Unwrap gives the first failure, for errors.As.
func (e *RolesError) Unwrap() error { return e.Failed[0].Err }

// ExitCode is the first failed role's.
func (e *RolesError) ExitCode() int { return ExitCode(e.Failed[0].Err) }

// Hint gives each failed role's hint.
func (e *RolesError) Hint() string {
	var hints []string
	for _, f := range e.Failed {
		if h := Hint(f.Err); h != "" {
			hints = append(hints, fmt.Sprintf("role %q: %s", f.Name, h))
		}
	}
	return strings.Join(hints, "\n")
}
