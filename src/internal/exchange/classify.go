package exchange

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
)

// Class says whether another attempt can change the outcome.
type Class int

const (
	// Permanent failures are the caller's to fix: retrying only delays the
	// message the user needs.
	Permanent Class = iota
	// Transient failures may pass on their own: throttling, 5xx, network
	// errors, per-attempt timeouts.
	Transient
	// KeyPropagation is InvalidIdentityToken: permanent in most cases (wrong
	// audience, no provider), but right after a provider is created or its
	// keys rotate AWS can fail to fetch them for a few seconds, so it gets a
	// small number of retries of its own.
	KeyPropagation
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case KeyPropagation:
		return "key-propagation"
	default:
		return "permanent"
	}
}

// codeClass is the class of a code STS answers with; false for a code not
// listed, which falls back to the HTTP status: 5xx is transient, anything
// else permanent. STS-compatible servers use other codes for the same
// causes; the status keeps them sane. (A switch, not a map: nothing is
// built at start-up.)
func codeClass(code string) (Class, bool) {
	switch code {
	case "IDPCommunicationError", "Throttling", "ThrottlingException", "RequestLimitExceeded",
		"TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout",
		"RequestTimeoutException", "IDPCommunicationErrorException":
		return Transient, true
	case "InvalidIdentityToken", "InvalidIdentityTokenException":
		return KeyPropagation, true
	case "ExpiredTokenException", "IDPRejectedClaim", "AccessDenied", "ValidationError",
		"MalformedPolicyDocument", "PackedPolicyTooLarge", "RegionDisabledException", "InvalidParameterValue",
		"InvalidAction", "MissingParameter", "InvalidClientTokenId", "SignatureDoesNotMatch",
		"IncompleteSignature", "UnrecognizedClientException", "MalformedQueryString", "OptInRequired",
		"NotAuthorized", "UnauthorizedOperation", "AccessDeniedException", "InvalidParameterCombination",
		"InvalidQueryParameter", "ValidationException", "ExpiredToken", "PackedPolicyTooLargeException",
		"RegionDisabled", "MalformedPolicyDocumentException":
		return Permanent, true
	}
	return Permanent, false
}

// CodeProxy is a failure of the proxy the environment names that no retry
// changes (see httpclient.ProxyError): the run exits 2, a configuration error.
const CodeProxy = "proxy"

// codeTimeout is an attempt that got no answer in time.
const codeTimeout = "timeout"

// Classify names the failure and says whether it is worth another attempt.
// The code is STS's error code when there is one, else a short word for the
// kind of failure ("timeout", "connection", "http-503", "bad-response").
func Classify(err error) (code string, class Class) {
	if err == nil {
		return "", Permanent
	}
	if errors.Is(err, context.Canceled) {
		// The user or the runner stopped us: never retry that.
		return "canceled", Permanent
	}
	var proxyErr *httpclient.ProxyError
	if errors.As(err, &proxyErr) {
		// A proxy setting that is not a URL, or a proxy that refused (its
		// password, its policy, its certificate): the same next time.
		return CodeProxy, Permanent
	}
	if errors.Is(err, ErrResponseTooLarge) {
		// The same server will send the same answer again.
		return CodeResponseTooLarge, Permanent
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return classifyAPI(err, api)
	}
	return classifyOther(err)
}

// classifyAPI classifies an answer with an error document: by its code,
// else by the HTTP status.
func classifyAPI(err error, api smithy.APIError) (code string, class Class) {
	code = api.ErrorCode()
	if throttleCode(code) {
		return code, Transient
	}
	if c, ok := codeClass(code); ok {
		if c == KeyPropagation && settled(api.ErrorMessage()) {
			return code, Permanent
		}
		return code, c
	}
	if status := httpStatus(err); status >= 500 || status == 429 {
		return code, Transient
	} else if status > 0 {
		return code, Permanent
	}
	if api.ErrorFault() == smithy.FaultServer {
		return code, Transient
	}
	return code, Permanent
}

// classifyOther classifies a failure without an error document: an error
// status with another body, an answer that could not be read, a timeout, a
// failed connection.
func classifyOther(err error) (code string, class Class) {
	status := httpStatus(err)
	if status >= 300 {
		// An error status without STS's error XML (a load balancer's or a
		// proxy's own page): the status is all there is to go by.
		code = "http-" + strconv.Itoa(status)
		if status >= 500 || status == 429 {
			return code, Transient
		}
		var de *smithy.DeserializationError
		if (status == http.StatusBadRequest || status == http.StatusRequestTimeout) && errors.As(err, &de) {
			// STS sends its refusals as 400 with an error document; a 400
			// without one (empty, HTML, JSON) is not STS refusing but a
			// front or a proxy answering for it, typically under load.
			return CodeBadResponse, Transient
		}
		return code, Permanent
	}
	var (
		de *smithy.DeserializationError
		se *xml.SyntaxError
	)
	if errors.As(err, &de) || errors.As(err, &se) {
		// A truncated or garbled answer: a proxy or the connection failed
		// half-way. The next attempt usually reads a whole one. (The SDK
		// returns a garbled success body as a bare *xml.SyntaxError.)
		return "bad-response", Transient
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return codeTimeout, Transient
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return codeTimeout, Transient
	}
	if status > 0 {
		// A success status whose answer could not be used.
		return "bad-response", Transient
	}
	// A name that does not exist (NXDOMAIN) is the endpoint's or the
	// region's mistake; a resolver that failed or timed out may answer
	// next time. Both come inside the dial's *net.OpError: look first.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound && !dnsErr.IsTemporary && !dnsErr.IsTimeout {
			return "dns", Permanent
		}
		return "dns", Transient
	}
	msg := err.Error()
	if httpclient.Untrusted(err) || strings.Contains(msg, "x509:") {
		// A certificate the system does not trust will not start to be
		// trusted on the next attempt.
		return "tls", Permanent
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "connection", Transient
	}
	for _, s := range []string{"connection reset", "EOF", "broken pipe", "connection refused", "tls:", "http2:"} {
		if strings.Contains(msg, s) {
			return "connection", Transient
		}
	}
	return "error", Transient
}

// Busy reports whether a failure is STS saying it is overloaded, not that
// something is wrong: throttling (any code the AWS SDK counts as one, HTTP
// 429, and 503, which AWS answers under load: ServiceUnavailable, S3's
// SlowDown), and AWS
// failing to fetch the issuer's keys in time (IDPCommunicationError, and
// InvalidIdentityToken "Couldn't retrieve verification key"), which come in
// bursts when many jobs start at once. Every job of an account and region
// shares one STS request rate, so these are retried until the overall
// deadline with a backoff made for many callers that do not know of each
// other, and they do not count against Retry.MaxAttempts.
func Busy(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if throttleCode(api.ErrorCode()) {
			return true
		}
		switch api.ErrorCode() {
		case "IDPCommunicationError", "IDPCommunicationErrorException":
			return true
		case "InvalidIdentityToken", "InvalidIdentityTokenException":
			return keysUnreachable(api.ErrorMessage())
		}
	}
	status := httpStatus(err)
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// throttleCode reports whether code is one the AWS SDK's own retryer counts
// as throttling (retry.DefaultThrottleErrorCodes: Throttling, SlowDown,
// RequestLimitExceeded, PriorRequestNotComplete, ...), so that every code
// AWS services use for it is retried, not only those STS is known to send.
func throttleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

// keysUnreachable reports whether an InvalidIdentityToken message says AWS
// could not fetch the issuer's keys: under load that passes; when the issuer
// is not reachable from the internet it does not, and the deadline ends it
// with the hint for that cause.
func keysUnreachable(message string) bool {
	return strings.Contains(strings.ToLower(message), "couldn't retrieve verification key")
}

// settled reports whether an InvalidIdentityToken message names a cause that
// waiting cannot change: no provider in the account, or an audience the
// provider does not list.
func settled(message string) bool {
	m := strings.ToLower(message)
	return strings.Contains(m, "no openidconnect provider") || strings.Contains(m, "incorrect token audience")
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
