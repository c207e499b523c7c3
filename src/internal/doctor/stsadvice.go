package doctor

import (
	"errors"
	"fmt"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// STSFix says what to do about an STS call that failed with xerr: a call
// retries could not get through, an endpoint never reached (its
// certificate, its name), or a refusal, explained by Refusal with what is
// known of the attempt (f). n names the tool's settings: exchange.Flags on
// the command line, the inputs in the assume-role component.
func STSFix(xerr *exchange.Error, f trustpolicy.Facts, n exchange.Names) string {
	if xerr.Transient() {
		return TransientFix(xerr, n)
	}
	switch xerr.Code {
	case "tls":
		return "the STS endpoint presented a certificate this machine does not trust, so STS never saw the request. " +
			"Give its CA as a PEM file with " + n.Setting("ca-bundle", "AWS_CA_BUNDLE") + ", or check " + n.Flag("sts-endpoint")
	case "dns":
		return "the STS endpoint's host name does not resolve: check " + n.Flag("region") + " and " + n.Flag("sts-endpoint") + ", and the runner's DNS"
	}
	return Refusal(xerr.Code, xerr.Message, f, n).Fix
}

// TransientFix explains an STS call that retries could not get through:
// busy until the deadline or until the token ran out, no answer in time, or
// other failures that used up --max-attempts. Every STS call of a run
// (the exchange, a chained hop, --verify's GetCallerIdentity) has it.
func TransientFix(xerr *exchange.Error, n exchange.Names) string {
	issuerKeys := strings.HasPrefix(xerr.Code, "IDPCommunicationError") || strings.HasPrefix(xerr.Code, "InvalidIdentityToken")
	switch {
	case xerr.TokenExpired:
		return fmt.Sprintf("STS was busy (%s) until the job's ID token was about to expire, so no later attempt could succeed: "+
			"a GitLab ID token lives as long as the job's timeout, and this job's ran out while waiting for STS. "+
			"Start fewer of these jobs at once (a parallel: limit, or fewer roles per pipeline), run aws-oidc at the start of the job, "+
			"or give the job a longer timeout", xerr.Code)
	case xerr.DeadlineHit && xerr.Busy && issuerKeys:
		return fmt.Sprintf("AWS could not fetch the issuer's signing keys in time (%s) until the deadline: STS fetches them from the issuer "+
			"(GitLab's /oauth/discovery/keys) to check the token, and the issuer answered AWS slowly or not at all. Check that the issuer's "+
			"keys are reachable from the internet and answer quickly; if it only happens when many jobs start at once, raise "+n.Flag("timeout")+" "+
			"or start fewer of these jobs at once", xerr.Code)
	case xerr.DeadlineHit && xerr.Busy:
		return fmt.Sprintf("STS was busy (%s) until the deadline: every job of the AWS account and region shares one STS request rate. "+
			"Raise %s, or start fewer of these jobs at once (a parallel: limit, or fewer roles per pipeline)", xerr.Code, n.Flag("timeout"))
	case xerr.DeadlineHit && xerr.Code == "timeout":
		// Every attempt was cut off: by the deadline, or by its own limit
		// while the answer came slowly.
		return "STS did not answer in time. Check the network path to STS (proxy, firewall, " + n.Flag("sts-endpoint") + "), or raise " + n.Flag("timeout") +
			", and " + n.Flag("attempt-timeout") + " when STS answers slowly (each attempt is cut off after it)"
	case xerr.DeadlineHit:
		return "STS did not answer in time. Check the network path to STS (proxy, firewall, " + n.Flag("sts-endpoint") + "), or raise " + n.Flag("timeout")
	case strings.Contains(xerr.Message, "proxyconnect"):
		return "the proxy named by $HTTPS_PROXY or $HTTP_PROXY could not be reached: check that it runs and that the variable names it, " +
			"or list the STS host in $NO_PROXY to go direct"
	case xerr.Code == exchange.CodeBadResponse:
		return fmt.Sprintf("STS's answer was not one STS sends (an empty, HTML or cut-short page: a load balancer or a proxy answering for it) %s; "+
			"this usually passes: retry the job, or raise %s", timesText(xerr.Attempts), n.Flag("max-attempts"))
	}
	return fmt.Sprintf("STS kept failing with %s %s; this is usually passing: retry the job, or raise %s and %s", xerr.Code, timesText(xerr.Attempts), n.Flag("max-attempts"), n.Flag("timeout"))
}

// timesText is "at the only attempt" or "after 3 attempts".
func timesText(attempts int) string {
	if attempts <= 1 {
		return "at the only attempt"
	}
	return fmt.Sprintf("after %d attempts", attempts)
}

// AnswerFix explains an STS answer the exchange refused itself, whichever
// call (web identity, a chained hop, GetCallerIdentity) got it.
func AnswerFix(err error, n exchange.Names) string {
	var xerr *exchange.Error
	if !errors.As(err, &xerr) || xerr.Class != exchange.Permanent {
		// A garbled answer that retries could not get past is transient
		// (bad-response too): STSFix says so.
		return ""
	}
	switch xerr.Code {
	case exchange.CodeExpiredCredentials:
		return fmt.Sprintf("STS handed out credentials that expire within %s, so nothing was written. The STS server's clock is probably wrong "+
			"(the error shows the date it put on its answer): fix its time (NTP). If the server's date is right, this runner's clock is wrong: sync it", exchange.MinValidity)
	case exchange.CodeLateExpiry:
		return fmt.Sprintf("STS handed out credentials that expire later than the session asked for could last (more than %s late), so nothing was written. "+
			"The STS server's clock is probably ahead (the error shows the date it put on its answer): fix its time (NTP). If the server's date is right, "+
			"this runner's clock is behind: sync it", exchange.MaxClockSkew)
	case exchange.CodeBadResponse:
		return "the STS server answered with something that is not usable credentials, so nothing was written: check " + n.Flag("sts-endpoint") + " " +
			"(is it STS or an STS-compatible server you trust?), and the server's logs"
	case exchange.CodeResponseTooLarge:
		return fmt.Sprintf("STS answers are a few KB; this one passed %d bytes: check %s and any proxy on the way", exchange.MaxResponseBytes, n.Flag("sts-endpoint"))
	}
	return ""
}
