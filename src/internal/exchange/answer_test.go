package exchange

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func answerXML(arn, secret, token, exp string) string {
	return `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>` +
		`<AssumedRoleUser><Arn>` + arn + `</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>` +
		`<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId><SecretAccessKey>` + secret + `</SecretAccessKey>` +
		`<SessionToken>` + token + `</SessionToken><Expiration>` + exp + `</Expiration></Credentials>` +
		`</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`
}

// TestAnswerChecks: every STS answer is refused, permanently and in one
// attempt, when its credentials expire within MinValidity, hold characters
// no credential has, or when another field holds a control character or a
// secret of the run; the new session's secrets join the run's set first.
func TestAnswerChecks(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	const arn = "arn:aws:sts::123456789012:assumed-role/deploy/s"
	const secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN"
	in := func(d time.Duration) string { return clock.now.Add(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		name, body, code, msg string
	}{
		{name: "valid", body: answerXML(arn, secret, token, in(time.Hour))},
		{name: "expired", body: answerXML(arn, secret, token, in(-time.Hour)), code: CodeExpiredCredentials, msg: "1h0m0s ago"},
		{name: "too_soon", body: answerXML(arn, secret, token, in(4*time.Minute)), code: CodeExpiredCredentials, msg: "in 4m0s"},
		{name: "token_line_break", body: answerXML(arn, secret, "IQoJb3&#xA;JpZ2lu", in(time.Hour)), code: CodeBadResponse, msg: "SessionToken"},
		{name: "secret_dollar", body: answerXML(arn, "wJalr$XUtn", token, in(time.Hour)), code: CodeBadResponse, msg: "SecretAccessKey"},
		{name: "arn_line_break", body: answerXML(arn+"&#xA;::add-mask::x", secret, token, in(time.Hour)), code: CodeBadResponse, msg: "AssumedRoleUser.Arn holds a control character"},
		{name: "arn_echoes_web_identity_token", body: answerXML(arn+"/"+testToken, secret, token, in(time.Hour)), code: CodeBadResponse, msg: "holds a secret"},
		{name: "arn_echoes_token_signature", body: answerXML(arn+"/"+strings.Split(testToken, ".")[2], secret, token, in(time.Hour)), code: CodeBadResponse, msg: "holds a secret"},
		{name: "arn_echoes_own_secret", body: answerXML(arn+"/"+secret, secret, token, in(time.Hour)), code: CodeBadResponse, msg: "holds a secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, ststest.Answer{Raw: tc.body})
			secrets := logging.NewSecrets()
			req := request()
			req.Secrets = secrets
			client := NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL})
			_, err := Exchange(context.Background(), client, req, testRetry(clock), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if strings.Contains(tc.body, ">"+secret+"<") && !secrets.Holds(secret) || strings.Contains(tc.body, ">"+token+"<") && !secrets.Holds(token) {
				t.Error("the answer's secrets did not join the run's")
			}
			if tc.code == "" {
				if err != nil {
					t.Fatalf("a valid answer was refused: %v", err)
				}
				return
			}
			var xerr *Error
			if !errors.As(err, &xerr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if xerr.Code != tc.code || xerr.Class != Permanent || xerr.Attempts != 1 || !strings.Contains(xerr.Message, tc.msg) {
				t.Errorf("got %s (%s, %d attempts): %q; want %s, permanent, 1 attempt, naming %q", xerr.Code, xerr.Class, xerr.Attempts, xerr.Message, tc.code, tc.msg)
			}
			if secrets.Holds(xerr.Error()) {
				t.Error("the error holds a secret")
			}
			if tc.code == CodeExpiredCredentials && !strings.Contains(xerr.Message, "server dated its answer") {
				t.Errorf("the message does not give the server's date: %q", xerr.Message)
			}
		})
	}
}
