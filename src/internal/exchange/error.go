// The package's two errors: a failed STS call (Error), scrubbed of every
// secret, and a value the user gave that STS would refuse (FieldError).

package exchange

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Error is a failed exchange.
type Error struct {
	// Op is the STS operation; empty means AssumeRoleWithWebIdentity.
	Op string
	// Code is STS's error code, or a word for the kind of failure.
	Code string
	// Message is STS's message, scrubbed of the token.
	Message  string
	Class    Class
	Attempts int
	// DeadlineHit is set when the overall deadline ended the retries.
	DeadlineHit bool
	// Busy is set when the last answer said STS was busy (see Busy).
	Busy bool
	// TokenExpired is set when the token's expiry (Request.TokenExpiry)
	// ended the retries before the deadline did.
	TokenExpired bool
	// Expiration, LocalTime and ServerTime (the answer's Date header, zero
	// when it had none) explain CodeExpiredCredentials.
	Expiration, LocalTime, ServerTime time.Time
	err                               error
}

func (e *Error) Error() string {
	var b strings.Builder
	op := e.Op
	if op == "" {
		op = opWebIdentity
	}
	fmt.Fprintf(&b, "sts %s failed", op)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	switch {
	case e.TokenExpired:
		b.WriteString(" (the ID token expires before another attempt)")
	case e.DeadlineHit:
		b.WriteString(" (overall deadline reached)")
	}
	fmt.Fprintf(&b, ": %s", e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Unwrap gives the last attempt's error, for errors.Is on context errors.
// The SDK's error text carries no request body, so no token can leak through.
func (e *Error) Unwrap() error { return e.err }

// Transient reports whether the failure may pass on its own.
func (e *Error) Transient() bool { return e.Class == Transient }

// scrubError makes sure no text of err can show a secret of the run, nor a
// control character of a server's message: the message is also used for
// hints, which print it.
func scrubError(err error, secrets *logging.Secrets) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	// Both come from the server: beyond the run's own secrets, no long
	// value of its may be printed either (logging.ServerText).
	e.Code = logging.Line(logging.ServerText(secrets.Scrub(e.Code)))
	e.Message = logging.Line(logging.ServerText(secrets.Scrub(e.Message)))
	if e.err != nil {
		e.err = scrubbed{err: e.err, secrets: secrets}
	}
	return e
}

// STS operations, as they are named in errors.
const (
	opWebIdentity = "AssumeRoleWithWebIdentity"
	opAssumeRole  = "AssumeRole"
)

func newError(err error, code string, class Class, attempts int, token string, deadline bool) *Error {
	msg := ""
	var api smithy.APIError
	if errors.As(err, &api) {
		msg = api.ErrorMessage()
	} else {
		msg = err.Error()
	}
	return &Error{
		Code:        code,
		Message:     scrub(msg, token),
		Class:       class,
		Attempts:    attempts,
		DeadlineHit: deadline,
		err:         scrubbed{err: err, token: token},
	}
}

// scrub removes every occurrence of secret from s. Servers have been seen
// echoing parts of the request in their error messages.
func scrub(s, secret string) string {
	if len(secret) < 4 {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}

// scrubbed keeps the error chain for errors.Is/As while making sure its
// text cannot carry a secret.
type scrubbed struct {
	err     error
	token   string
	secrets *logging.Secrets
}

func (s scrubbed) Error() string {
	return logging.ServerText(s.secrets.Scrub(scrub(s.err.Error(), s.token)))
}

func (s scrubbed) Unwrap() error { return s.err }

// FieldError is a problem with one user-supplied value. Field is the flag
// name without dashes; the value itself is quoted in Msg only when it is not
// a secret (none of the fields here are).
type FieldError struct {
	Field string
	// Msg is the problem, naming other settings by their flags.
	Msg string
	// named is Msg naming other settings by flag (see MsgFor); nil when
	// Msg names none.
	named func(flag func(name string) string) string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid --%s: %s", e.Field, e.Msg) }

// MsgFor is Msg with the settings it names named by flag, which is given
// a flag's name without dashes: "--region" on the command line, the input
// that sets it in the assume-role component.
func (e *FieldError) MsgFor(flag func(name string) string) string {
	if e.named == nil {
		return e.Msg
	}
	return e.named(flag)
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fieldErrNaming is a FieldError whose message names other settings: msg
// says it with the names flag gives.
func fieldErrNaming(field string, msg func(flag func(name string) string) string) error {
	return &FieldError{Field: field, Msg: msg(Flag), named: msg}
}

// Flag names a setting by its flag: "--region". Hints that name settings
// take a function like it, so that the assume-role component can name its
// inputs instead.
func Flag(name string) string { return "--" + name }

// Names names the tool's settings in a hint, for hints that need more than
// Flag: Another("region") is "another --region" on the command line,
// "another region input" in the assume-role component; Setting("ca-bundle",
// "AWS_CA_BUNDLE") is "--ca-bundle or $AWS_CA_BUNDLE" on the command line,
// the CI/CD variable that sets it in the component.
type Names struct {
	Flag, Another func(name string) string
	Setting       func(name, env string) string
}

// Flags names settings by their flags.
var Flags = Names{
	Flag:    Flag,
	Another: func(name string) string { return "another " + Flag(name) },
	Setting: func(name, env string) string { return Flag(name) + " or $" + env },
}
