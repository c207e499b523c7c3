// What both role operations share once they are sent: the retries, the
// checks of STS's answer, and the Result.

package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// MinValidity is how long credentials must still be valid when STS hands
// them out. Less is of no use to a job (the first AWS call after a slow
// step would fail) and means a clock is wrong: STS's, or this machine's.
// Every session of a run is held to it, chained hops and --roles included.
// The shortest session STS grants lasts 15 minutes, so a healthy answer
// never comes near it.
const MinValidity = 5 * time.Minute

// Codes of the answers the exchange refuses itself, with Class Permanent:
// the server's answer is wrong, so the run exits 4 like a refusal.
const (
	// CodeBadResponse is an answer that is not usable credentials: a
	// field missing, a value with a control character, a field of the
	// answer that echoes a secret of the run.
	CodeBadResponse = "bad-response"
	// CodeExpiredCredentials is credentials that expire before MinValidity.
	CodeExpiredCredentials = "expired-credentials"
	// CodeResponseTooLarge is an answer longer than MaxResponseBytes.
	CodeResponseTooLarge = "response-too-large"
	// CodeLateExpiry is credentials that expire later than the session
	// asked for could last (an hour at least; MaxClockSkew aside).
	CodeLateExpiry = "late-expiry"
)

// MaxClockSkew is how far the STS server's clock may run ahead of this
// machine's before credentials that expire after the session asked for are
// refused: AWS's own limit for a signed request's time.
const MaxClockSkew = 15 * time.Minute

// answer is one STS answer of either role operation, as the checks and the
// Result need it.
type answer struct {
	op    string
	creds *types.Credentials
	user  *types.AssumedRoleUser
	// subject, audience and provider are AssumeRoleWithWebIdentity's.
	subject, audience, provider string
	tokenUtilization            *int32
	metadata                    middleware.Metadata
	// duration is the session asked for (0: STS's default, an hour).
	duration time.Duration
}

// result checks the answer and gives its session.
func (a answer) result(now time.Time, secrets *logging.Secrets) (Result, error) {
	creds, err := a.check(now, secrets)
	if err != nil {
		return Result{}, err
	}
	res := Result{Credentials: creds, Subject: a.subject, Audience: a.audience, Provider: a.provider, SessionTokenUtilization: -1}
	if a.user != nil {
		res.AssumedRoleARN = aws.ToString(a.user.Arn)
	}
	if a.tokenUtilization != nil {
		res.SessionTokenUtilization = int(*a.tokenUtilization)
	}
	return res, nil
}

// fields are the answer's values besides the credentials that are printed
// or written, by name. (AssumeRole answers have no subject, audience or
// provider: empty, they pass every check.)
func (a answer) fields() [][2]string {
	fields := [][2]string{{"SubjectFromWebIdentityToken", a.subject}, {"Audience", a.audience}, {"Provider", a.provider}}
	if a.user != nil {
		fields = append(fields, [2]string{"AssumedRoleUser.Arn", aws.ToString(a.user.Arn)},
			[2]string{"AssumedRoleUser.AssumedRoleId", aws.ToString(a.user.AssumedRoleId)})
	}
	return fields
}

// check turns an STS answer into credentials, or refuses it. The new
// session's secrets join secrets first, so that no later message, log line
// or output can show them, whatever the checks decide.
func (a answer) check(now time.Time, secrets *logging.Secrets) (Credentials, error) {
	bad := func(format string, args ...any) error {
		return &Error{Op: a.op, Code: CodeBadResponse, Message: fmt.Sprintf(format, args...), Class: Permanent, Attempts: 1}
	}
	if a.creds == nil {
		return Credentials{}, bad("the answer holds no credentials")
	}
	c := Credentials{
		AccessKeyID:     aws.ToString(a.creds.AccessKeyId),
		SecretAccessKey: aws.ToString(a.creds.SecretAccessKey),
		SessionToken:    aws.ToString(a.creds.SessionToken),
		Expiration:      aws.ToTime(a.creds.Expiration),
	}
	secrets.Add(c.SecretAccessKey, c.SessionToken)
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration.IsZero() {
		return Credentials{}, bad("the answer's credentials are incomplete")
	}
	for _, f := range [][2]string{{"AccessKeyId", c.AccessKeyID}, {"SecretAccessKey", c.SecretAccessKey}, {"SessionToken", c.SessionToken}} {
		if !credentialText(f[1]) {
			// Never the value: it is a secret, or half of one.
			return Credentials{}, bad("the answer's %s holds characters no AWS credential has (whitespace, a line break, a control character, quotes, $ or \\); "+
				"it cannot be handed on safely in any format", f[0])
		}
	}
	for _, f := range a.fields() {
		switch {
		case strings.ContainsFunc(f[1], unicode.IsControl):
			return Credentials{}, bad("the answer's %s holds a control character", f[0])
		case secrets.Holds(f[1]):
			return Credentials{}, bad("the answer's %s holds a secret of this run (a token or a credential): the server echoes what it should keep", f[0])
		}
	}
	if left := c.Expiration.Sub(now); left < MinValidity {
		e := &Error{Op: a.op, Code: CodeExpiredCredentials, Class: Permanent, Attempts: 1, Expiration: c.Expiration, LocalTime: now}
		e.ServerTime, _ = awsmiddleware.GetServerTime(a.metadata)
		e.Message = e.expiredMessage()
		return Credentials{}, e
	}
	// A shorter session than STS's default may come back with the default:
	// some STS-compatible servers ignore DurationSeconds.
	asked := max(a.duration, DefaultDuration)
	if left := c.Expiration.Sub(now); left > asked+MaxClockSkew {
		e := &Error{Op: a.op, Code: CodeLateExpiry, Class: Permanent, Attempts: 1, Expiration: c.Expiration, LocalTime: now}
		e.ServerTime, _ = awsmiddleware.GetServerTime(a.metadata)
		e.Message = fmt.Sprintf("the credentials expire at %s, in %s by this machine's clock (%s): later than the %s session asked for could last",
			c.Expiration.UTC().Format(time.RFC3339), left.Round(time.Second), now.UTC().Format(time.RFC3339), asked)
		if !e.ServerTime.IsZero() {
			e.Message += fmt.Sprintf("; the server dated its answer %s", e.ServerTime.UTC().Format(time.RFC3339))
		}
		return Credentials{}, e
	}
	return c, nil
}

// credentialText reports whether v can be a credential value: printable
// ASCII without spaces, quotes, $, ` or \. AWS's are base64 and
// upper-case letters and digits; anything else cannot go into a dotenv
// file, a shell line or an AWS config file unchanged.
func credentialText(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"'`$\\", c) >= 0 {
			return false
		}
	}
	return true
}

func (e *Error) expiredMessage() string {
	when := fmt.Sprintf("in %s", e.Expiration.Sub(e.LocalTime).Round(time.Second))
	if !e.Expiration.After(e.LocalTime) {
		when = fmt.Sprintf("%s ago", e.LocalTime.Sub(e.Expiration).Round(time.Second))
	}
	msg := fmt.Sprintf("the credentials expire at %s (%s by this machine's clock, %s); at least %s are needed",
		e.Expiration.UTC().Format(time.RFC3339), when, e.LocalTime.UTC().Format(time.RFC3339), MinValidity)
	if !e.ServerTime.IsZero() {
		msg += fmt.Sprintf("; the server dated its answer %s", e.ServerTime.UTC().Format(time.RFC3339))
	}
	return msg
}

// Result is what STS said besides the credentials.
type Result struct {
	Credentials    Credentials
	AssumedRoleARN string
	// Subject and Audience are the token's, as STS read them.
	Subject  string
	Audience string
	Provider string
	// SessionTokenUtilization is how much of STS's size limit of a session
	// token the new session's uses, in percent (its session policies and
	// tags take most of it), or -1 when the server did not say. It replaces
	// the deprecated PackedPolicySize, which AWS still sends with the same
	// figure.
	SessionTokenUtilization int
	Attempts                int
}

// roleOp is one of the two operations that assume a role: the web identity
// exchange and a chained hop.
type roleOp struct {
	name string
	// token (empty: none) is the web identity token sent, scrubbed from
	// every error; no attempt is made within TokenMargin of tokenEnd
	// (zero: none), its expiry.
	token    string
	tokenEnd time.Time
	// duration is the session asked for (0: STS's default).
	duration time.Duration
	// secrets is every secret of the run (nil: none).
	secrets *logging.Secrets
}

// run calls call with the retry rule of every STS operation, then checks
// the answer and gives its session: both role operations end the same way.
func (op roleOp) run(ctx context.Context, retry Retry, log *slog.Logger, call func(context.Context) (answer, error)) (Result, error) {
	var a answer
	attempts, err := withRetries(ctx, retry, log, op.name, op.token, op.tokenEnd, func(ctx context.Context) error {
		var err error
		a, err = call(ctx)
		return err
	})
	if err != nil {
		return Result{}, scrubError(err, op.secrets)
	}
	a.op, a.duration = op.name, op.duration
	res, err := a.result(now(retry), op.secrets)
	if err != nil {
		err.(*Error).Attempts = attempts
		return Result{}, scrubError(err, op.secrets)
	}
	res.Attempts = attempts
	return res, nil
}
