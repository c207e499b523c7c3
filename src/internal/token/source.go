package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Source returns the raw token. It does not parse it: Parse does, so that
// every source gets the same checks and the same errors.
type Source interface {
	Token(ctx context.Context) (string, error)
}

// EnvSource reads the token from the first of Names that is set and not
// empty. GitLab hands the token over as the variable named under
// `id_tokens:`.
type EnvSource struct {
	Names  []string
	Getenv func(string) string
}

// Token implements Source. It fails with *MissingError when no name is set.
func (s EnvSource) Token(ctx context.Context) (string, error) {
	_, value, err := s.Lookup()
	return value, err
}

// Lookup is Token that also tells which variable held the token, for the log.
func (s EnvSource) Lookup() (name, value string, err error) {
	if s.Getenv == nil {
		return "", "", errors.New("token environment source has no getenv")
	}
	for _, name := range s.Names {
		if v := s.Getenv(name); v != "" {
			return name, v, nil
		}
	}
	return "", "", &MissingError{Names: slices.Clone(s.Names)}
}

func (s EnvSource) String() string {
	return "environment variable " + strings.Join(s.Names, " or ")
}

// maxFileRead bounds what FileSource reads: a token plus a CRLF. A longer
// file is not a token (a wrong path to a log or a binary), and reading it
// whole would waste memory for nothing.
const maxFileRead = MaxSize + 2

// FileSource reads the token from a file, like the AWS SDKs do with
// AWS_WEB_IDENTITY_TOKEN_FILE. The file is read on every call, so a file
// that a sidecar refreshes always gives the current token.
type FileSource struct {
	Path string
	// From names the flag or variable that gave Path (--token-file,
	// $AWS_OIDC_TOKEN_FILE, $AWS_WEB_IDENTITY_TOKEN_FILE), for errors.
	From string
}

// name is the file as errors show it: its path and where it came from.
func (s FileSource) name() string {
	if s.From == "" {
		return fmt.Sprintf("token file %q", s.Path)
	}
	return fmt.Sprintf("token file %q (from %s)", s.Path, s.From)
}

// Token implements Source. It fails with *MissingError when the file does not
// exist or is empty, and with *MalformedError when it is too big to be a
// token; other read errors are wrapped and name the path.
func (s FileSource) Token(ctx context.Context) (string, error) {
	if s.Path == "" {
		return "", &MissingError{}
	}
	// A regular file only, capped, and never past ctx: a named pipe would
	// block without a writer, a device never end.
	b, err := atomicfile.ReadInput(ctx, s.Path, maxFileRead)
	var refused *atomicfile.RefusedError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", &MissingError{Path: s.Path, From: s.From}
	case errors.As(err, &refused) && refused.Reason == atomicfile.ReasonTooLarge:
		return "", &MalformedError{Reason: fmt.Sprintf("%s is larger than %d bytes, more than a token STS accepts", s.name(), maxFileRead)}
	case errors.As(err, &refused):
		return "", fmt.Errorf("%s: %s; %s", s.name(), refused.Detail, refused.Fix)
	case err != nil:
		return "", fmt.Errorf("failed to read %s: %w", s.name(), err)
	}
	if len(b) == 0 {
		return "", &MissingError{Path: s.Path, From: s.From, Empty: true}
	}
	return string(b), nil
}

func (s FileSource) String() string {
	return fmt.Sprintf("file %q", s.Path)
}

// GitHubSource requests a fresh token from the GitHub Actions runtime. It
// needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN,
// which GitHub only sets for jobs with `permissions: id-token: write`.
type GitHubSource struct {
	// Action reads the environment through its getenv (see
	// githubactions.WithGetenv) and sends the request with its HTTP client
	// (githubactions.WithHTTPClient); NewGitHubSource sets both.
	Action *githubactions.Action
	// Audience is the "aud" to request; empty lets GitHub choose its
	// default, which is not what STS expects.
	Audience string
	// getenv reads ACTIONS_ID_TOKEN_REQUEST_URL to check it first; nil
	// skips the check.
	getenv func(string) string
}

// NewGitHubSource returns a GitHubSource whose action reads the environment
// through getenv, sends its request with client (nil: the library's default,
// with a 10 s timeout) and never writes workflow commands anywhere.
func NewGitHubSource(getenv func(string) string, client *http.Client, audience string) GitHubSource {
	c := &http.Client{Timeout: 10 * time.Second}
	if client != nil {
		copied := *client
		c = &copied
	}
	// The request carries the job's request token: a redirect may not take
	// it (nor the redirect's URL, which may echo it) anywhere else.
	c.CheckRedirect = sameOrigin
	opts := []githubactions.Option{
		githubactions.WithGetenv(getenv),
		githubactions.WithWriter(io.Discard),
		githubactions.WithHTTPClient(c),
	}
	return GitHubSource{Action: githubactions.New(opts...), Audience: audience, getenv: getenv}
}

// errOtherOrigin refuses a redirect of the token request to another host.
var errOtherOrigin = errors.New("the endpoint redirected the request to another host or scheme")

func sameOrigin(req *http.Request, via []*http.Request) error {
	switch {
	case len(via) >= 10:
		return errors.New("the endpoint redirected the request 10 times")
	case req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host:
		return errOtherOrigin
	}
	return nil
}

// GitHubRequestSecrets are the values of the job's environment that let
// anyone holding them mint ID tokens for the job: the request token, and
// the request URL's password and query values. They must never be printed.
func GitHubRequestSecrets(getenv func(string) string) []string {
	out := []string{getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}
	raw := getenv("ACTIONS_ID_TOKEN_REQUEST_URL")
	if u, err := url.Parse(raw); err == nil {
		for _, vs := range u.Query() {
			out = append(out, vs...)
		}
		if u.User != nil {
			pw, _ := u.User.Password()
			out = append(out, u.User.Username(), pw)
		}
	}
	if at := strings.LastIndexByte(raw, '@'); at >= 0 {
		// Whatever a malformed URL holds before an @ may be a password.
		out = append(out, raw[:at])
	}
	return out
}

// checkRequestURL refuses a request URL that is not http(s) or carries a
// user name or password, never quoting it: it may hold a password.
func checkRequestURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
	case u.User != nil || strings.Contains(u.Host, "@"):
		return errors.New("ACTIONS_ID_TOKEN_REQUEST_URL holds a user name or password")
	}
	return nil
}

// maxBodyInError keeps an endpoint's error answer short in messages.
const maxBodyInError = 200

// Token implements Source. It fails with *MissingError (GitHub set) when the
// runtime gives no token endpoint, and with *RequestError when the endpoint
// answers with an HTTP error.
func (s GitHubSource) Token(ctx context.Context) (string, error) {
	if s.Action == nil {
		return "", errors.New("github token source has no action")
	}
	if s.getenv != nil {
		if raw := s.getenv("ACTIONS_ID_TOKEN_REQUEST_URL"); raw != "" {
			if err := checkRequestURL(raw); err != nil {
				return "", err
			}
		}
	}
	value, err := s.Action.GetIDToken(ctx, s.Audience)
	var missing *githubactions.EnvMissingError
	var failed *githubactions.RequestFailedError
	var request *url.Error
	switch {
	case errors.As(err, &missing):
		return "", &MissingError{Names: []string{missing.Name}, GitHub: true}
	case errors.As(err, &failed):
		// The library puts the whole answer in its message; keep only the
		// start of it, on one line.
		// The body is the server's text: it may echo the request token,
		// which the caller scrubs, or another long value.
		body := logging.ServerText(jwtLike().ReplaceAllString(failed.Body, "[redacted]"))
		return "", &RequestError{StatusCode: failed.StatusCode, Body: oneLine(body, maxBodyInError)}
	case errors.As(err, &request):
		// Never the URL: a redirect's may echo the request token.
		return "", fmt.Errorf("failed to request github actions id token: %w", request.Err)
	case err != nil:
		return "", fmt.Errorf("failed to request github actions id token: %w", err)
	case value == "":
		return "", errors.New("github actions id token endpoint answered without a token")
	}
	return value, nil
}

func (s GitHubSource) String() string {
	return fmt.Sprintf("github actions id token (audience %q)", s.Audience)
}

// oneLine folds whitespace and cuts s to at most limit bytes on a rune
// boundary.
func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// jwtLike matches anything shaped like a compact JWS, so that an endpoint's
// error answer can never carry a token into a message.
// It compiles on first use, not at every start-up.
var jwtLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
})
