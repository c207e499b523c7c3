package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/doctor"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// Exit codes, a contract with pipelines that branch on them.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitConfig    = 2
	ExitToken     = 3
	ExitRefused   = 4
	ExitTransient = 5
)

// InputError is invalid input: a flag, a variable or a component input, or
// flags that cannot go together. It is the one error of that kind (exit 2);
// a core package's exchange.FieldError is read as one (see asInput).
type InputError struct {
	// Field is the setting, the flag without dashes; "" for a command line
	// that did not parse or flags that exclude each other.
	Field string
	// From is where the value came from, as lookup.String says it:
	// "--duration", "$AWS_OIDC_DURATION", "the duration input", "default";
	// "" when not known.
	From string
	Msg  string
	// Command is the command whose --help the hint points at; "" keeps
	// assume's hints, which say what a valid value looks like.
	Command string
	// Fix, when set, is the hint.
	Fix string
	// msgFor is Msg naming other settings as flag names them, for a core
	// package's exchange.FieldError (see asInput); nil for Msg as it is.
	msgFor func(flag func(string) string) string
}

// errorIn is Error naming the settings as n does.
func (e *InputError) errorIn(n naming) string {
	msg := e.Msg
	if e.msgFor != nil {
		msg = e.msgFor(n.flag)
	}
	if e.Field == "" {
		return msg
	}
	return "invalid " + n.invalid(e.Field, e.From) + ": " + msg
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("invalid --%s: %s", e.Field, e.Msg)
}

// ExitCode implements coded.
func (e *InputError) ExitCode() int { return ExitConfig }

// Hint implements coded.
func (e *InputError) Hint() string { return e.hintIn(naming{}) }

// hintIn is the hint naming settings as n does.
func (e *InputError) hintIn(n naming) string {
	switch {
	case e.Fix != "":
		return e.Fix
	case e.Command != "":
		return fmt.Sprintf("run `aws-oidc %s --help` for the flags and their variables", e.Command)
	case e.Field == "":
		return n.usage()
	}
	return fieldHint(e.Field, n)
}

// inputErr is an InputError without a field: flags that cannot go
// together, or a command line that did not parse.
func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// asInput reads a core package's FieldError, returned as it is, as the
// InputError it is, and gives an InputError where its value came from;
// any other error is returned unchanged.
func asInput(err error, from func(field string) string) error {
	var e *InputError
	switch t := err.(type) {
	case *exchange.FieldError:
		e = &InputError{Field: t.Field, Msg: t.Msg, msgFor: t.MsgFor}
	case *InputError:
		e = t
	default:
		return err
	}
	if e.From == "" && e.Field != "" {
		e.From = from(e.Field)
	}
	return e
}

// TokenError is a failure to get or accept the job's token.
type TokenError struct {
	Err      error
	Platform ci.Platform
	// Claims are known when the token parsed.
	Claims *token.Claims
	// IgnoredFile is the $AWS_WEB_IDENTITY_TOKEN_FILE a CI job left unused.
	IgnoredFile string
}

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// STSError is a failed exchange, with what the token said.
type STSError struct {
	Err     error
	Claims  *token.Claims
	RoleARN string
}

func (e *STSError) Error() string { return e.Err.Error() }
func (e *STSError) Unwrap() error { return e.Err }

// coded is a failure that carries its own exit code and hint, so that a
// command can add kinds of failure without a case in ExitCode and Hint.
type coded interface {
	error
	ExitCode() int
	Hint() string
}

// ExitCode maps an error to the documented exit code.
func ExitCode(err error) int {
	var (
		own      coded
		field    *exchange.FieldError
		tokenErr *TokenError
		xerr     *exchange.Error
		dotenv   *output.DotenvError
		varErr   *output.VarError
		refused  *atomicfile.RefusedError
		ambig    *awsconfig.AmbiguousError
		foreign  *awsconfig.ForeignError
		proxyErr *httpclient.ProxyError
		bundle   *httpclient.BundleError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		// A signal stopped the run: neither a refusal nor worth a retry.
		return ExitFailure
	case errors.As(err, &own):
		return own.ExitCode()
	case errors.As(err, &proxyErr):
		// The proxy setting, or the proxy's password, policy or
		// certificate: the same on every attempt, whatever was called.
		return ExitConfig
	case errors.As(err, &field), errors.As(err, &bundle):
		return ExitConfig
	case errors.As(err, &tokenErr):
		return ExitToken
	case errors.As(err, &xerr):
		switch {
		case xerr.TokenExpired:
			// The job's token ran out while STS was busy: a token
			// problem, which no retry of this job can change.
			return ExitToken
		case xerr.Transient():
			return ExitTransient
		case xerr.Code == "tls", xerr.Code == "dns":
			// STS never saw the request: the endpoint or the trust
			// store is misconfigured.
			return ExitConfig
		}
		return ExitRefused
	case errors.As(err, &dotenv), errors.As(err, &varErr), errors.As(err, &refused), errors.As(err, &ambig), errors.As(err, &foreign), errors.Is(err, fs.ErrPermission):
		// The output cannot be written where or as configured.
		return ExitConfig
	default:
		return ExitFailure
	}
}

// printError writes the error as one line and the hint line by line, each
// line one record of w (see logging.Writer): a newline inside a value is
// printed escaped and cannot start a line of its own. The hints of several
// lines (an id_tokens: example) hold no value from outside.
func printError(w io.Writer, err error) {
	if multi, ok := err.(interface{ Lines() []string }); ok {
		// Several lines of our own: each one a record of its own, so that
		// the writer escapes only what is inside a line.
		for i, line := range multi.Lines() {
			if i == 0 {
				line = "error: " + line
			}
			fmt.Fprintf(w, "%s\n", line)
		}
	} else {
		fmt.Fprintf(w, "error: %v\n", err)
	}
	h := Hint(err)
	for i, line := range strings.Split(h, "\n") {
		if h == "" {
			break
		}
		if i == 0 {
			line = "hint: " + line
		}
		fmt.Fprintf(w, "%s\n", line)
	}
}

// Hint says what to do about err. It is the one place where failures are
// turned into advice; the advice on tokens and STS calls comes from
// package doctor, whose checks give the same advice.
func Hint(err error) string { return hintIn(err, naming{}) }

// namedHinter is an error of ours whose hint names settings as n does.
type namedHinter interface{ hintIn(n naming) string }

// hintIn is Hint naming the settings as n does: flags and variables
// outside the assume-role component, its inputs inside it. Core packages
// take the names from n (n.flag) where their hints name a setting.
func hintIn(err error, n naming) string {
	var (
		own      coded
		field    *exchange.FieldError
		tokenErr *TokenError
		stsErr   *STSError
		xerr     *exchange.Error
		hinter   interface{ Hint() string }
		proxyErr *httpclient.ProxyError
		stdout   *output.StdoutError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "stopped by a signal (SIGTERM or SIGINT) before it finished; nothing was written"
	case errors.As(err, &own):
		if named, ok := own.(namedHinter); ok {
			return named.hintIn(n)
		}
		return own.Hint()
	case errors.As(err, &proxyErr):
		return proxyErr.HintFor(n.setting("ca-bundle"))
	case doctor.AnswerFix(err, n.names()) != "":
		return doctor.AnswerFix(err, n.names())
	case errors.As(err, &field):
		// A core package's, inside another error.
		return fieldHint(field.Field, n)
	case errors.As(err, &tokenErr):
		return doctor.TokenFix(tokenErr.Err, tokenErr.Platform, tokenErr.IgnoredFile, n.slashed("audience"))
	case errors.As(err, &stsErr):
		return stsHint(stsErr, n)
	case errors.As(err, &xerr) && xerr.Transient():
		// A chained hop's, as the web identity exchange's.
		return doctor.TransientFix(xerr, n.names())
	case errors.As(err, &stdout):
		return stdout.Hint()
	case errors.As(err, &hinter):
		// A core package's hint names settings through n where it has any.
		switch h := hinter.(type) {
		case *output.DotenvError:
			return h.HintFor(n.names())
		case interface {
			HintFor(func(string) string) string
		}:
			return h.HintFor(n.flag)
		}
		return hinter.Hint()
	case errors.Is(err, fs.ErrPermission):
		return "the file's folder is not writable by this user; choose " + n.anotherFlag("dotenv-file") + ", or run the job as a user that owns the folder"
	}
	return ""
}

// fieldHint says what a valid value of field looks like, naming the
// setting as n does.
func fieldHint(field string, n naming) string {
	switch field {
	case "role-arn":
		return "set " + n.setting(field) + " to the role's ARN as the IAM console shows it, for example arn:aws:iam::123456789012:role/deploy"
	case "region":
		return "set " + n.setting(field) + " to a region of the role's partition (aws-cn roles need a cn- region, aws-us-gov roles a us-gov- region)"
	case "duration":
		return "set " + n.setting(field) + " to 900..43200 seconds (15m..12h), no longer than the role's maximum session duration"
	}
	return n.help()
}

func stsHint(e *STSError, n naming) string {
	var xerr *exchange.Error
	if !errors.As(e.Err, &xerr) {
		return ""
	}
	f := trustpolicy.Facts{RoleARN: e.RoleARN}
	if e.Claims != nil {
		f.Issuer, f.Subject, f.Audience, f.GitHub = e.Claims.Issuer, e.Claims.Subject, e.Claims.Audience, e.Claims.IsGitHub()
	}
	return doctor.STSFix(xerr, f, n.names())
}

// VerifyError is a --verify that failed: GetCallerIdentity refused or did
// not answer (Err), or the credentials belong to another account. Nothing
// is written.
type VerifyError struct {
	Err error
	// Account is the account GetCallerIdentity answered, Want the role's.
	Account, Want string
}

func (e *VerifyError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("failed to verify the new credentials: %v", e.Err)
	}
	return fmt.Sprintf("failed to verify the new credentials: they belong to account %s, not %s", e.Account, e.Want)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// ExitCode is a refusal's (4) for a mismatch or a refused call, like the
// exchange's for the call's other failures (5 transient, 2 unreachable).
func (e *VerifyError) ExitCode() int {
	if e.Err == nil {
		return ExitRefused
	}
	return ExitCode(e.Err)
}

// Hint says what --verify found.
func (e *VerifyError) Hint() string { return e.hintIn(naming{}) }

func (e *VerifyError) hintIn(n naming) string {
	var xerr *exchange.Error
	switch {
	case e.Err == nil:
		return "STS says the new credentials belong to another account than the role's: " + n.flag("sts-endpoint") + " is not the STS of the role's account, " +
			"or the role ARN names another account; check both"
	case doctor.AnswerFix(e.Err, n.names()) != "":
		return doctor.AnswerFix(e.Err, n.names())
	case errors.As(e.Err, &xerr) && xerr.Transient():
		return doctor.TransientFix(xerr, n.names())
	}
	return "STS refused GetCallerIdentity with the new credentials: some STS-compatible servers do not implement it (drop " + n.flag("verify") + " and use " + n.flag("allowed-account") + "), " +
		"or the session was revoked at once"
}
