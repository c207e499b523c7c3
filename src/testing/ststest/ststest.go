// Package ststest provides an in-process STS server for tests, in the manner
// of net/http/httptest: it answers AssumeRoleWithWebIdentity and
// GetCallerIdentity (and AssumeRole, for role chains) with the XML documents
// STS sends, and plays back a
// scripted sequence of answers (errors, delays, garbage) so retries can be
// tested without a network.
package ststest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixed credentials the server hands out; tests scan output for the secret
// parts.
const (
	AccessKeyID     = "ASIAEXAMPLEEXAMPLE12"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	SessionToken    = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu/EXAMPLE+SESSION+TOKEN+VALUE=="
	AssumedRoleARN  = "arn:aws:sts::123456789012:assumed-role/deploy/session"
)

// Answer is one scripted reply.
type Answer struct {
	// Status is the HTTP status; 0 means 200 for success, 400 for errors.
	Status int
	// Code and Message make an STS error document when Code is set.
	Code, Message string
	// Raw, when set, is sent as the body as it is (garbage, truncation).
	Raw string
	// Delay holds the reply back, for timeout tests.
	Delay time.Duration
	// Hijack closes the connection without any reply.
	Hijack bool
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
}

// OK is the successful answer.
var OK = Answer{}

// Fail is an STS error answer.
func Fail(status int, code, message string) Answer {
	return Answer{Status: status, Code: code, Message: message}
}

// Request is what the server saw of one call, without the token.
type Request struct {
	Action          string
	RoleARN         string
	RoleSessionName string
	DurationSeconds string
	Policy          string
	PolicyARNs      []string
	// TokenLength is the length of the token sent; the token itself is not
	// kept so that no test log can print it.
	TokenLength int
	Signed      bool
	// ExternalID, Tags ("KEY=VALUE", in order) and TransitiveTagKeys are
	// AssumeRole's.
	ExternalID        string
	Tags              []string
	TransitiveTagKeys []string
	// SourceIdentity is AssumeRole's.
	SourceIdentity string
}

// Server is a scripted STS.
type Server struct {
	*httptest.Server
	// Expiration is the expiry of the credentials handed out; zero means
	// the session's duration from now, as STS does.
	Expiration time.Time
	// CallerARN is what GetCallerIdentity answers; set it before the first
	// request. Empty means the deploy role's session in 123456789012.
	CallerARN string
	// AssumedAccount, when set before the first request, is the account of
	// every assumed-role ARN answered, whatever the role asked for: an STS
	// that does not agree with the request.
	AssumedAccount string

	mu         sync.Mutex
	script     []Answer
	requests   []Request
	userAgents []string
	byRole     map[string]Answer
	byAction   map[string]Answer
}

// FailAction answers every request of action (GetCallerIdentity,
// AssumeRole, ...) with a, whatever the script says.
func (s *Server) FailAction(action string, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAction == nil {
		s.byAction = map[string]Answer{}
	}
	s.byAction[action] = a
}

// AnswerRole answers every request for roleARN with a, whatever the script
// says: with roles assumed concurrently the order of requests is not known.
func (s *Server) AnswerRole(roleARN string, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byRole == nil {
		s.byRole = map[string]Answer{}
	}
	s.byRole[roleARN] = a
}

// New starts a server that plays script in order and then answers OK.
// It is closed when the test ends.
func New(t testing.TB, script ...Answer) *Server {
	t.Helper()
	return start(t, httptest.NewServer, script)
}

// NewTLS is New over https, with a certificate of httptest's own CA: a
// client trusts it only when given that CA (Certificate, or Client()).
func NewTLS(t testing.TB, script ...Answer) *Server {
	t.Helper()
	return start(t, httptest.NewTLSServer, script)
}

func start(t testing.TB, serve func(http.Handler) *httptest.Server, script []Answer) *Server {
	s := &Server{script: script}
	s.Server = serve(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns what the server saw so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// UserAgents returns the User-Agent header of every request so far.
func (s *Server) UserAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.userAgents...)
}

func (s *Server) next(r Request) Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	if a, ok := s.byRole[r.RoleARN]; ok {
		return a
	}
	if a, ok := s.byAction[r.Action]; ok {
		return a
	}
	if len(s.script) == 0 {
		return OK
	}
	a := s.script[0]
	s.script = s.script[1:]
	return a
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	req := parse(r.PostForm)
	req.Signed = r.Header.Get("Authorization") != ""
	s.mu.Lock()
	s.userAgents = append(s.userAgents, r.Header.Get("User-Agent"))
	s.mu.Unlock()
	a := s.next(req)
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.Hijack {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
	if a.RetryAfter != "" {
		w.Header().Set("Retry-After", a.RetryAfter)
	}
	switch {
	case a.Raw != "":
		w.WriteHeader(statusOr(a.Status, http.StatusOK))
		_, _ = w.Write([]byte(a.Raw))
	case a.Code != "":
		w.WriteHeader(statusOr(a.Status, http.StatusBadRequest))
		_, _ = fmt.Fprint(w, errorXML(a.Code, a.Message))
	case req.Action == "GetCallerIdentity":
		w.WriteHeader(statusOr(a.Status, http.StatusOK))
		_, _ = fmt.Fprint(w, callerIdentityXML(s.CallerARN))
	case req.Action == "AssumeRole":
		w.WriteHeader(statusOr(a.Status, http.StatusOK))
		_, _ = fmt.Fprint(w, s.assumeRoleXML(req))
	default:
		w.WriteHeader(statusOr(a.Status, http.StatusOK))
		_, _ = fmt.Fprint(w, s.successXML(req))
	}
}

func statusOr(s, def int) int {
	if s == 0 {
		return def
	}
	return s
}

func parse(f url.Values) Request {
	r := Request{
		Action:          f.Get("Action"),
		RoleARN:         f.Get("RoleArn"),
		RoleSessionName: f.Get("RoleSessionName"),
		DurationSeconds: f.Get("DurationSeconds"),
		Policy:          f.Get("Policy"),
		TokenLength:     len(f.Get("WebIdentityToken")),
		ExternalID:      f.Get("ExternalId"),
		SourceIdentity:  f.Get("SourceIdentity"),
	}
	for i := 1; ; i++ {
		k := f.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if k == "" {
			break
		}
		r.Tags = append(r.Tags, k+"="+f.Get(fmt.Sprintf("Tags.member.%d.Value", i)))
	}
	for i := 1; ; i++ {
		k := f.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i))
		if k == "" {
			break
		}
		r.TransitiveTagKeys = append(r.TransitiveTagKeys, k)
	}
	for i := 1; ; i++ {
		arn := f.Get(fmt.Sprintf("PolicyArns.member.%d.arn", i))
		if arn == "" {
			break
		}
		r.PolicyARNs = append(r.PolicyARNs, arn)
	}
	return r
}

func esc(s string) string {
	var b []byte
	b, _ = xml.Marshal(struct {
		XMLName xml.Name `xml:"x"`
		V       string   `xml:",chardata"`
	}{V: s})
	return string(b[3 : len(b)-4])
}

func (s *Server) successXML(r Request) string {
	return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>project_path:mygroup/myproject:ref_type:branch:ref:main</SubjectFromWebIdentityToken>
    <Audience>https://gitlab.example.com</Audience>
` + s.sessionXML(r, "AROAEXAMPLEEXAMPLE") +
		`    <Provider>gitlab.example.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`
}

// sessionXML is the AssumedRoleUser and Credentials elements both
// operations answer with.
func (s *Server) sessionXML(r Request, roleID string) string {
	return `    <AssumedRoleUser>
      <Arn>` + esc(s.assumedRoleARN(r)) + `</Arn>
      <AssumedRoleId>` + roleID + `:` + esc(r.RoleSessionName) + `</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>` + esc(SessionToken) + `</SessionToken>
      <SecretAccessKey>` + esc(SecretAccessKey) + `</SecretAccessKey>
      <Expiration>` + s.expiration(r).UTC().Format(time.RFC3339) + `</Expiration>
      <AccessKeyId>` + AccessKeyID + `</AccessKeyId>
    </Credentials>
`
}

// expiration is Expiration when set, else what STS answers: the session's
// DurationSeconds from now, an hour without it (the exchange refuses
// credentials that outlive the session asked for).
func (s *Server) expiration(r Request) time.Time {
	if !s.Expiration.IsZero() {
		return s.Expiration
	}
	d := time.Hour
	if n, err := strconv.Atoi(r.DurationSeconds); err == nil && n > 0 {
		d = time.Duration(n) * time.Second
	}
	return time.Now().Add(d).UTC().Truncate(time.Second)
}

// assumedRoleARN derives the assumed-role ARN from the role ARN, as STS
// does: arn:P:iam::A:role/path/NAME becomes arn:P:sts::A:assumed-role/NAME/SESSION.
func (s *Server) assumedRoleARN(r Request) string {
	parts := strings.SplitN(r.RoleARN, ":", 6)
	if len(parts) != 6 {
		return AssumedRoleARN
	}
	if s.AssumedAccount != "" {
		parts[4] = s.AssumedAccount
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", parts[1], parts[4], name, r.RoleSessionName)
}

func errorXML(code, message string) string {
	typ := "Sender"
	if code == "InternalFailure" || code == "ServiceUnavailable" {
		typ = "Receiver"
	}
	return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>` + typ + `</Type>
    <Code>` + esc(code) + `</Code>
    <Message>` + esc(message) + `</Message>
  </Error>
  <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>
`
}

func (s *Server) assumeRoleXML(r Request) string {
	return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
` + s.sessionXML(r, "AROAEXAMPLECHAINED") +
		`    <SessionTokenSize>` + fmt.Sprint(len(SessionToken)) + `</SessionTokenSize>
    <SessionTokenUtilization>` + fmt.Sprint(min(6*len(r.Tags), 100)) + `</SessionTokenUtilization>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`
}

func callerIdentityXML(arn string) string {
	if arn == "" {
		arn = AssumedRoleARN
	}
	account := "123456789012"
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		account = parts[4]
	}
	return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>` + esc(arn) + `</Arn>
    <UserId>AROAEXAMPLEEXAMPLE:session</UserId>
    <Account>` + esc(account) + `</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`
}
