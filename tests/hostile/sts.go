// Package hostile runs the built aws-oidc against servers that lie: a
// scriptable STS on loopback that echoes every secret it has seen or made
// (the ID token and its parts, every session's secret key and session
// token) in every field of its answers, forges CI log commands, hands out
// expired or malformed credentials, or answers without end. Every output of
// every run (stdout, stderr, files) is scanned for the secrets. It needs
// neither root nor peers: everything stays on 127.0.0.1.
package hostile

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Behaviour is how the STS answers one operation.
type Behaviour int

const (
	// Grant answers with fresh credentials.
	Grant Behaviour = iota
	// Echo answers with an error whose code and message hold every secret
	// the server knows, and forged CI commands.
	Echo
	// EchoInFields grants, but puts the secrets in the answer's other
	// fields (assumed-role ARN, subject, audience, provider).
	EchoInFields
	// Expired grants credentials that expired an hour ago.
	Expired
	// MultiLine grants a session token with a line break in it.
	MultiLine
	// ForgedARN grants, with an assumed-role ARN carrying a GitHub
	// workflow command after a newline and a GitLab section marker.
	ForgedARN
	// Huge sends an endless answer body.
	Huge
	// OtherAccount answers GetCallerIdentity with another account.
	OtherAccount
	// EchoPieces is Echo with pieces and re-encodings of each secret
	// (see pieces) rather than whole copies.
	EchoPieces
	// PiecesInFields is EchoInFields with pieces of each secret.
	PiecesInFields
	// FarFuture grants credentials that expire in a hundred years.
	FarFuture
	// OddARN grants with an assumed-role ARN that is no ARN ("hello").
	OddARN
	// OtherPartitionARN grants with an assumed-role ARN of aws-cn.
	OtherPartitionARN
	// OtherAccountARN grants with an assumed-role ARN of account
	// 999999999999 (the Account field of GetCallerIdentity stays).
	OtherAccountARN
	// NoUser grants without an AssumedRoleUser, as some STS-compatible
	// servers do.
	NoUser
)

// forged is what a hostile server puts in text to forge CI log lines.
// XML carries no ESC (Go's decoder refuses it, so STS cannot send one), but
// it carries line breaks, carriage returns and the C1 control CSI.
const forged = "\n::add-mask::forged\n::set-output name=x::y\n\u009b31mred\rsection_start:1:evil\r\n##[group]evil\u2028"

// STS is the hostile server.
type STS struct {
	*httptest.Server
	// By operation: AssumeRoleWithWebIdentity, AssumeRole,
	// GetCallerIdentity. Missing means Grant.
	Plan map[string]Behaviour

	mu       sync.Mutex
	secrets  []string
	sessions map[string]string // session token -> secret key
	calls    map[string]int
	n        int
}

// NewSTS starts a hostile STS on 127.0.0.1.
func NewSTS(t *testing.T, plan map[string]Behaviour) *STS {
	s := &STS{Plan: plan, sessions: map[string]string{}, calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Secrets are every secret the server has seen or handed out.
func (s *STS) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// Calls counts the requests per operation.
func (s *STS) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Total counts every request.
func (s *STS) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

func (s *STS) learn(values ...string) {
	for _, v := range values {
		if v != "" && !contains(s.secrets, v) {
			s.secrets = append(s.secrets, v)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Unknown stands for a secret the run cannot know (another job's session
// token): a server's message must not show it either.
const Unknown = "UNKNOWNa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6"

// echo is every secret known, in the forms a server echoes them in.
func (s *STS) echo() string {
	var parts []string
	for _, v := range s.secrets {
		parts = append(parts, v, url.QueryEscape(v), base64.StdEncoding.EncodeToString([]byte(v)))
		if p := strings.Split(v, "."); len(p) == 3 {
			parts = append(parts, p...)
		}
	}
	return strings.Join(parts, " | ")
}

// pieces is every secret known cut and re-encoded the ways servers have
// been seen to: without its last or first character, its halves apart,
// with lower-case percent escapes, JSON's \/, '+' as a space, upper-cased,
// in upper-case hex, and base64 of a larger text holding it; and Unknown,
// a long value the run cannot know.
func (s *STS) pieces() string {
	lowerEscapes := regexp.MustCompile(`%[0-9A-F]{2}`)
	parts := []string{Unknown}
	for _, v := range s.secrets {
		parts = append(parts, v[:len(v)-1], v[1:], v[:len(v)/2]+" SPLIT "+v[len(v)/2:],
			lowerEscapes.ReplaceAllStringFunc(url.QueryEscape(v), strings.ToLower),
			strings.ReplaceAll(v, "/", `\/`), strings.ReplaceAll(v, "+", " "), strings.ToUpper(v),
			strings.ToUpper(hex.EncodeToString([]byte(v))), base64.StdEncoding.EncodeToString([]byte("secret="+v+"&")))
	}
	return strings.Join(parts, " | ")
}

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	op := r.PostForm.Get("Action")
	s.mu.Lock()
	s.calls[op]++
	s.learn(r.PostForm.Get("WebIdentityToken"))
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
		s.learn(tok, s.sessions[tok])
	}
	s.n++
	n := s.n
	key := fmt.Sprintf("HOSTILE%02dSECRETKEYwJalrXUtnFEMI/K7MDENG+bPxRfi", n)
	token := fmt.Sprintf("HOSTILE%02dSESSIONTOKENIQoJb3JpZ2luX2VjEXAMPLE/dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu+%s==", n, strings.Repeat("x", 64))
	behaviour := s.Plan[op]
	if behaviour != Echo && behaviour != EchoPieces {
		// What it hands out joins what it can echo later.
		s.sessions[token] = key
		s.learn(key, token)
	}
	echo := s.echo()
	if behaviour == EchoPieces || behaviour == PiecesInFields {
		echo = s.pieces()
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml")
	// As STS does: the session's DurationSeconds from now, an hour without.
	exp := time.Now().Add(time.Hour)
	if d, err := strconv.Atoi(r.PostForm.Get("DurationSeconds")); err == nil && d > 0 {
		exp = time.Now().Add(time.Duration(d) * time.Second)
	}
	session := r.PostForm.Get("RoleSessionName")
	if op == "GetCallerIdentity" {
		session = "caller" // the caller's session, as STS names it in the ARN
	}
	arn := "arn:aws:sts::123456789012:assumed-role/deploy/" + session
	subject, audience, provider := "project_path:mygroup/myproject:ref_type:branch:ref:main", "https://gitlab.example.com", "gitlab.example.com"
	switch behaviour {
	case Echo, EchoPieces:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied%s</Code><Message>not authorized: %s%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			esc(forged), esc(echo), esc(forged))
		return
	case EchoInFields, PiecesInFields:
		arn, subject, audience, provider = arn+"/"+echo, echo, echo, echo
	case Expired:
		exp = time.Now().Add(-time.Hour)
	case FarFuture:
		exp = time.Now().AddDate(100, 0, 0)
	case MultiLine:
		token = token[:20] + "\n" + token[20:]
	case ForgedARN:
		arn += forged
	case OddARN:
		arn = "hello"
	case OtherAccountARN:
		arn = strings.Replace(arn, "123456789012", "999999999999", 1)
	case OtherPartitionARN:
		arn = strings.Replace(arn, "arn:aws:", "arn:aws-cn:", 1)
	case Huge:
		w.WriteHeader(http.StatusOK)
		// Well-formed as far as it goes: the decoder keeps reading the one
		// text element, as it would a huge session token.
		fmt.Fprintf(w, "<%sResponse><%sResult><Credentials><SessionToken>", op, op)
		chunk := []byte(strings.Repeat("x", 65536))
		for i := 0; i < 300*16; i++ { // 300 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	}
	creds := fmt.Sprintf(`<Credentials><AccessKeyId>ASIAHOSTILE%09d</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>`,
		n, esc(key), esc(token), exp.UTC().Format(time.RFC3339))
	user := fmt.Sprintf(`<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROAHOSTILE:%s</AssumedRoleId></AssumedRoleUser>`, esc(arn), esc(r.PostForm.Get("RoleSessionName")))
	if behaviour == NoUser {
		user = ""
	}
	switch op {
	case "AssumeRoleWithWebIdentity":
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken><Audience>%s</Audience>%s%s<Provider>%s</Provider></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
			esc(subject), esc(audience), user, creds, esc(provider))
	case "AssumeRole":
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult>%s%s</AssumeRoleResult></AssumeRoleResponse>`, user, creds)
	case "GetCallerIdentity":
		account := "123456789012"
		if behaviour == OtherAccount {
			account = "999999999999"
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>%s</Arn><UserId>AROAHOSTILE:s</UserId><Account>%s</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`,
			esc(arn), account)
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
	}
}

// esc escapes for XML text, keeping the control characters XML can carry:
// the SDK's decoder reads &#xA; back as a newline.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '\n' || r == '\r' || r == '\t':
			fmt.Fprintf(&b, "&#x%X;", r)
		case r < 0x20:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
