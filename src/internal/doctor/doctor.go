// Package doctor owns `aws-oidc doctor`: the sequence of its checks, their
// report and the list of those that failed (Run, in run.go), and the checks
// themselves, most of which touch the network: fetching the issuer's
// discovery document and keys the way STS does (within its 5-second limit),
// inspecting the TLS chain the issuer presents, verifying the token's
// signature locally, seeing whether the issuer's addresses are reachable
// from the internet, and trying the role.
//
// It is also the one home of advice on federation and tokens, which
// `assume` prints as its hint too, so the two never disagree: why STS
// refused (advice.go, the causes on GitLab's troubleshooting page and AWS's
// error codes, matched against the token's claims and a trust policy); what
// to do about a token that is missing, malformed, expired, early or for
// another audience, on GitLab or GitHub (tokenadvice.go); about an STS call
// that retries could not get through, an endpoint never reached or an
// answer the exchange refused (stsadvice.go); whether an issuer's TLS chain
// is one AWS can use (tlschain.go); and what `aws-oidc claims` shows, a
// token's claims and the trust policy conditions that let its job in
// (claims.go). Errors of local things (a locked file, a dotenv file that
// cannot be written, a proxy setting) keep their own Hint methods beside
// their types, where the thing they describe is known.
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// AWSLimit is how long STS waits for an issuer's discovery document and
// keys.
const AWSLimit = 5 * time.Second

// maxBody bounds what is read of a discovery document or a key set.
const maxBody = 1 << 20

// Status is the outcome of one check.
type Status int

const (
	OK Status = iota
	Warn
	Fail
	// Skip is a check that could not run because an earlier one failed.
	Skip
)

func (s Status) String() string {
	return [...]string{"ok", "warn", "fail", "skip"}[s]
}

// Check is one line of the doctor's report.
type Check struct {
	Name    string
	Status  Status
	Summary string
	// Details are further lines (the certificate chain, each problem).
	Details []string
	// Fix says what to do when Status is not OK.
	Fix string
}

// worst returns the more severe of two statuses.
func worst(a, b Status) Status {
	if a == Skip {
		return b
	}
	if b == Skip {
		return a
	}
	return max(a, b)
}

// Options are what the checks need from outside. The zero value works: it
// means AWS's limit, the system's roots, the real clock, dialer and resolver.
type Options struct {
	// Limit is how long the issuer has to answer each request; tests lower
	// it instead of waiting.
	Limit time.Duration
	// RootCAs verifies the issuer's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Now is the clock for certificate validity.
	Now func() time.Time
	// DialContext opens connections; tests point host names at local
	// servers with it.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupNetIP resolves a host name.
	LookupNetIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Proxy, when set, routes the issuer's fetches and TLS check through a
	// proxy (doctor --issuer-proxy); nil means straight to the issuer, as
	// AWS fetches it.
	Proxy func(*http.Request) (*url.URL, error)
}

// Doctor runs the checks with one set of Options.
type Doctor struct {
	o      Options
	client *http.Client
}

// New returns a Doctor.
func New(o Options) *Doctor {
	if o.Limit <= 0 {
		o.Limit = AWSLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DialContext == nil {
		o.DialContext = (&net.Dialer{Timeout: o.Limit}).DialContext
	}
	if o.LookupNetIP == nil {
		o.LookupNetIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	transport := &http.Transport{
		DialContext:       o.DialContext,
		Proxy:             o.Proxy,
		TLSClientConfig:   &tls.Config{RootCAs: o.RootCAs, Time: o.Now, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
		// Every fetch is timed as STS would see it: a fresh connection.
		DisableKeepAlives: true,
	}
	return &Doctor{o: o, client: &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			// STS does not follow redirects for discovery; neither do we.
			return http.ErrUseLastResponse
		},
	}}
}

// fetched is one timed GET.
type fetched struct {
	body    []byte
	elapsed time.Duration
}

// FetchError is a GET that failed, timed.
type FetchError struct {
	URL     string
	Elapsed time.Duration
	Limit   time.Duration
	// Timeout is set when the limit ran out.
	Timeout bool
	Status  int
	Err     error
}

func (e *FetchError) Error() string {
	// The URL may come from the issuer (jwks_uri): never its userinfo.
	u := logging.URL(e.URL)
	switch {
	case e.Timeout:
		return fmt.Sprintf("%s did not answer within %s", u, e.Limit)
	case e.Status != 0:
		return fmt.Sprintf("%s answered HTTP %d", u, e.Status)
	}
	return fmt.Sprintf("failed to fetch %s: %v", u, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// get fetches u within the limit, timing it from the first byte sent to the
// last byte read, as STS's limit counts.
func (d *Doctor) get(ctx context.Context, u string) (fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Limit)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fetched{}, &FetchError{URL: u, Err: unwrapURL(err)}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "aws-oidc-doctor")
	resp, err := d.client.Do(req)
	if err != nil {
		return fetched{}, d.fetchErr(ctx, u, start, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	elapsed := time.Since(start)
	if err != nil {
		return fetched{}, d.fetchErr(ctx, u, start, err)
	}
	if elapsed > d.o.Limit {
		// The answer came as the limit ran out (the timer and the last
		// read race on a busy machine): past the limit, STS had given up.
		return fetched{}, &FetchError{URL: u, Elapsed: elapsed, Limit: d.o.Limit, Timeout: true, Err: context.DeadlineExceeded}
	}
	if resp.StatusCode != http.StatusOK {
		return fetched{}, &FetchError{URL: u, Elapsed: elapsed, Limit: d.o.Limit, Status: resp.StatusCode}
	}
	return fetched{body: body, elapsed: elapsed}, nil
}

func (d *Doctor) fetchErr(ctx context.Context, u string, start time.Time, err error) error {
	return &FetchError{
		URL: u, Elapsed: time.Since(start), Limit: d.o.Limit, Err: unwrapURL(err),
		Timeout: errors.Is(ctx.Err(), context.DeadlineExceeded),
	}
}

// unwrapURL drops url.Error's "Get "...": " prefix, the URL is said already.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// rateLimitFix is the advice for an issuer that answers 429: STS, fetching
// for every AssumeRoleWithWebIdentity, is then refused too.
const rateLimitFix = "the issuer rate-limits these requests, and STS, which fetches them for every exchange, gets refused too " +
	"(\"Couldn't retrieve verification key\"): exempt /.well-known/openid-configuration and the jwks_uri from the rate limit, " +
	"or publish the documents on a static host (GitLab 18.1+: ci_id_tokens_issuer_url)"

// Discovery is what the checks read of the discovery document.
type Discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
	// Algs are id_token_signing_alg_values_supported.
	Algs []string `json:"id_token_signing_alg_values_supported"`
}

// DiscoveryURL is where STS looks for the issuer's configuration.
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// Issuer fetches the discovery document and checks it as STS needs it:
// https, answered within the limit, issuer equal to iss, jwks_uri present.
// The Discovery is nil when the document could not be read.
func (d *Doctor) Issuer(ctx context.Context, iss string) (Check, *Discovery) {
	c := Check{Name: "issuer"}
	u := DiscoveryURL(iss)
	fix := fmt.Sprintf("make %s answer with the discovery document within %s, from the internet (AWS's limit is 5s)", u, d.o.Limit)
	f, err := d.get(ctx, u)
	if err != nil {
		c.Status, c.Summary, c.Fix = Fail, err.Error(), fix
		var fe *FetchError
		switch {
		case errors.As(err, &fe) && fe.Timeout:
			c.Summary = fmt.Sprintf("%s did not answer within %s: STS gives up after 5s (\"Couldn't retrieve verification key from your identity provider\")", u, d.o.Limit)
			c.Fix = "make the issuer answer faster (its load, a slow proxy or WAF in front of it), or publish the discovery documents on a fast static host (GitLab 18.1+: ci_id_tokens_issuer_url)"
		case errors.As(err, &fe) && fe.Status == http.StatusTooManyRequests:
			c.Fix = rateLimitFix
		}
		return c, nil
	}
	var doc Discovery
	if err := json.Unmarshal(f.body, &doc); err != nil {
		c.Status, c.Summary, c.Fix = Fail, fmt.Sprintf("%s is not a JSON discovery document (%s)", u, ms(f.elapsed)), fix
		return c, nil
	}
	c.Summary = fmt.Sprintf("%s answered in %s", u, ms(f.elapsed))
	var problems []string
	if doc.Issuer != iss {
		problems = append(problems, fmt.Sprintf("its issuer is %q, but the token's iss is %q", doc.Issuer, iss))
		c.Fix = "the token's iss and the discovery document's issuer must be the same string, trailing slash included: set GitLab's external_url to the URL AWS sees"
	}
	if doc.JWKSURI == "" {
		problems = append(problems, "it has no jwks_uri")
		c.Fix = "the discovery document must name the keys' URL in jwks_uri"
	} else if !strings.HasPrefix(doc.JWKSURI, "https://") {
		problems = append(problems, fmt.Sprintf("its jwks_uri %q is not https", logging.URL(doc.JWKSURI)))
		c.Fix = "AWS fetches keys over https only: serve jwks_uri over https"
	}
	if !strings.HasPrefix(iss, "https://") {
		problems = append(problems, "the issuer is not https, and AWS accepts only https issuers")
		c.Fix = "serve the instance (or the published discovery documents) over https with a certificate from a public CA"
	}
	switch {
	case len(problems) > 0:
		c.Status = Fail
		c.Details = problems
	case f.elapsed > d.o.Limit/2:
		c.Status = Warn
		c.Summary += fmt.Sprintf(", more than half of the %s limit", d.o.Limit)
		c.Fix = "STS gives up after 5s and retries only a few times: make the issuer answer faster"
	default:
		c.Summary += "; issuer matches, jwks_uri " + logging.URL(doc.JWKSURI)
	}
	return c, &doc
}

// ms rounds a duration for people.
func ms(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
