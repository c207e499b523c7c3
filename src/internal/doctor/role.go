package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// Role tries AssumeRoleWithWebIdentity for real and, when STS refuses,
// names the cause with Refusal, the same analysis `assume` uses.
// The credentials of a success are dropped at once: doctor never prints or
// keeps them. The error is the exchange's, for the exit code.
func Role(ctx context.Context, client exchange.Client, req exchange.Request, retry exchange.Retry, facts trustpolicy.Facts, log *slog.Logger) (Check, error) {
	c := Check{Name: "role"}
	res, err := exchange.Exchange(ctx, client, req, retry, log)
	if err == nil {
		c.Summary = fmt.Sprintf("STS accepted the token for %s: assumed %s (credentials discarded)", req.RoleARN, orDefault(res.AssumedRoleARN, req.RoleARN.String()))
		return c, nil
	}
	c.Status = Fail
	var xerr *exchange.Error
	if !errors.As(err, &xerr) {
		c.Summary = err.Error()
		return c, err
	}
	c.Summary = fmt.Sprintf("STS refused %s: %s", req.RoleARN, xerr.Code)
	if xerr.Message != "" {
		c.Summary += ": " + xerr.Message
	}
	if xerr.Transient() {
		c.Fix = "STS did not give an answer in time or kept failing: check the network path to STS and retry"
		return c, err
	}
	cause := Refusal(xerr.Code, xerr.Message, facts, exchange.Flags)
	c.Details = []string{"cause: " + cause.ID}
	c.Fix = cause.Fix
	return c, err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
