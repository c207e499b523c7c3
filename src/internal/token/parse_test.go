package token_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

var now = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// raw joins parts given as plain JSON text into a token with a fake but
// well-formed signature.
func raw(header, payload string) string {
	return b64(header) + "." + b64(payload) + "." + b64(strings.Repeat("s", 64))
}

const (
	rs256   = `{"alg":"RS256","typ":"JWT"}`
	minimal = `{"iss":"https://gitlab.example.com","exp":1795676400}`
)

// assertNoLeak fails when text shows the token, or any part of it that is
// long enough to matter.
func assertNoLeak(t *testing.T, text, tok string) {
	t.Helper()
	secrets := []string{tok, strings.TrimSpace(tok)}
	for _, part := range strings.Split(strings.TrimSpace(tok), ".") {
		secrets = append(secrets, part)
		if b, err := base64.RawURLEncoding.DecodeString(part); err == nil {
			secrets = append(secrets, string(b))
		}
	}
	for _, s := range secrets {
		if len(s) > 16 && strings.Contains(text, s) {
			t.Errorf("output shows token material %.20q…: %s", s, text)
		}
	}
}

func TestParse_gitlab_token(t *testing.T) {
	t.Parallel()
	tok := tokentest.Mint(t, nil, tokentest.WithNow(now))

	got, err := token.Parse(tok)
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := token.Claims{
		Issuer:            "https://gitlab.example.com",
		Subject:           "project_path:mygroup/myproject:ref_type:branch:ref:main",
		Audience:          []string{"https://gitlab.example.com"},
		ExpiresAt:         now.Add(time.Hour),
		NotBefore:         now.Add(-5 * time.Second),
		IssuedAt:          now,
		ID:                got.Claims.ID,
		NamespaceID:       "1001",
		NamespacePath:     "mygroup",
		ProjectID:         "42",
		ProjectPath:       "mygroup/myproject",
		ProjectVisibility: "private",
		UserID:            "7",
		UserLogin:         "alice",
		UserEmail:         "alice@example.com",
		UserAccessLevel:   "maintainer",
		PipelineID:        "1234",
		PipelineSource:    "push",
		JobID:             "5678",
		Ref:               "main",
		RefType:           "branch",
		RefPath:           "refs/heads/main",
		RefProtected:      "true",
		RunnerID:          "99",
		RunnerEnvironment: "self-hosted",
		SHA:               "0123456789abcdef0123456789abcdef01234567",
		CIConfigRefURI:    "gitlab.example.com/mygroup/myproject//.gitlab-ci.yml@refs/heads/main",
		CIConfigSHA:       "0123456789abcdef0123456789abcdef01234567",
	}
	if diff := cmp.Diff(want, got.Claims); diff != "" {
		t.Errorf("Claims mismatch (-want +got):\n%s", diff)
	}
	if got.Claims.ID == "" {
		t.Errorf("Claims.ID is empty, want the jti")
	}
	wantHeader := token.Header{Alg: "RS256", Typ: "JWT", Kid: tokentest.KeyID(&tokentest.Key(t).PublicKey)}
	if diff := cmp.Diff(wantHeader, got.Header); diff != "" {
		t.Errorf("Header mismatch (-want +got):\n%s", diff)
	}
	if got.Value() != tok {
		t.Errorf("Value() does not give back the token")
	}
	if got.Claims.IsGitHub() {
		t.Errorf("IsGitHub() = true for a GitLab token")
	}
}

func TestParse_github_token(t *testing.T) {
	t.Parallel()
	tok := tokentest.Mint(t, nil, tokentest.WithGitHub(), tokentest.WithNow(now))

	got, err := token.Parse(tok)
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := []token.KV{
		{Key: "iss", Value: "https://token.actions.githubusercontent.com"},
		{Key: "aud", Value: "sts.amazonaws.com"},
		{Key: "sub", Value: "repo:octo-org/octo-repo:ref:refs/heads/main"},
		{Key: "ref", Value: "refs/heads/main"},
		{Key: "ref_type", Value: "branch"},
		{Key: "ref_protected", Value: "true"},
		{Key: "exp", Value: "2026-11-26T08:00:00Z"},
	}
	if diff := cmp.Diff(want, got.Claims.Safe()); diff != "" {
		t.Errorf("Safe() mismatch (-want +got):\n%s", diff)
	}
	gh := []string{got.Claims.Repository, got.Claims.Workflow, got.Claims.RunID, got.Claims.Actor}
	if diff := cmp.Diff([]string{"octo-org/octo-repo", "deploy", "5813245765", "octocat"}, gh); diff != "" {
		t.Errorf("GitHub claims mismatch (-want +got):\n%s", diff)
	}
	if !got.Claims.IsGitHub() {
		t.Errorf("IsGitHub() = false for a GitHub token")
	}
}

func TestParse_accepts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		in        string
		wantValue string
		check     func(t *testing.T, c token.Claims)
	}{
		{
			name: "minimal_claims",
			in:   raw(rs256, minimal),
			check: func(t *testing.T, c token.Claims) {
				want := token.Claims{Issuer: "https://gitlab.example.com", ExpiresAt: time.Unix(1795676400, 0).UTC()}
				if diff := cmp.Diff(want, c); diff != "" {
					t.Errorf("Claims mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:      "trailing_newline_trimmed",
			in:        raw(rs256, minimal) + "\n",
			wantValue: raw(rs256, minimal),
		},
		{
			name:      "trailing_crlf_trimmed",
			in:        raw(rs256, minimal) + "\r\n",
			wantValue: raw(rs256, minimal),
		},
		{
			name: "audience_array",
			in:   raw(rs256, `{"iss":"i","exp":1795676400,"aud":["a","sts.amazonaws.com"]}`),
			check: func(t *testing.T, c token.Claims) {
				if diff := cmp.Diff([]string{"a", "sts.amazonaws.com"}, c.Audience); diff != "" {
					t.Errorf("Audience mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "empty_audience_array",
			in:   raw(rs256, `{"iss":"i","exp":1795676400,"aud":[]}`),
			check: func(t *testing.T, c token.Claims) {
				if len(c.Audience) != 0 {
					t.Errorf("Audience = %q, want none", c.Audience)
				}
			},
		},
		{
			name: "fractional_times",
			in:   raw(rs256, `{"iss":"i","exp":1795676400.5,"nbf":1.5e9,"iat":1795676000.25}`),
			check: func(t *testing.T, c token.Claims) {
				want := []time.Time{time.Unix(1795676400, 5e8).UTC(), time.Unix(1.5e9, 0).UTC(), time.Unix(1795676000, 25e7).UTC()}
				if diff := cmp.Diff(want, []time.Time{c.ExpiresAt, c.NotBefore, c.IssuedAt}); diff != "" {
					t.Errorf("times mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "null_optional_claims_are_absent",
			in:   raw(rs256, `{"iss":"i","exp":1795676400,"nbf":null,"iat":null,"aud":null,"sub":null}`),
			check: func(t *testing.T, c token.Claims) {
				if !c.NotBefore.IsZero() || !c.IssuedAt.IsZero() || c.Audience != nil || c.Subject != "" {
					t.Errorf("Claims = %+v, want null claims left empty", c)
				}
			},
		},
		{
			name: "ci_claims_of_other_types",
			in:   raw(rs256, `{"iss":"i","exp":1795676400,"project_id":42,"ref_protected":true,"job_id":{"x":1},"ref":["main"],"sha":null}`),
			check: func(t *testing.T, c token.Claims) {
				got := []string{c.ProjectID, c.RefProtected, c.JobID, c.Ref, c.SHA}
				if diff := cmp.Diff([]string{"42", "true", "", "", ""}, got); diff != "" {
					t.Errorf("CI claims mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "es256_and_other_header_members",
			in:   raw(`{"alg":"ES256","kid":7,"typ":"at+jwt","x5t":"abc"}`, minimal),
			check: func(t *testing.T, c token.Claims) {
				if c.Issuer == "" {
					t.Errorf("Issuer is empty")
				}
			},
		},
		{
			name: "exact_max_size",
			in:   sizedToken(token.MaxSize),
		},
		{
			name: "unicode_claims",
			in:   raw(rs256, `{"iss":"i","exp":1795676400,"ref":"ünïcødé/ブランチ"}`),
			check: func(t *testing.T, c token.Claims) {
				if c.Ref != "ünïcødé/ブランチ" {
					t.Errorf("Ref = %q", c.Ref)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := token.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			want := tc.wantValue
			if want == "" {
				want = tc.in
			}
			if got.Value() != want {
				t.Errorf("Value() = %d characters, want the %d given", len(got.Value()), len(want))
			}
			if tc.check != nil {
				tc.check(t, got.Claims)
			}
		})
	}
}

// sizedToken builds a well-formed token of exactly n characters by sizing
// its signature part.
func sizedToken(n int) string {
	prefix := b64(rs256) + "." + b64(minimal) + "."
	sig := n - len(prefix)
	if sig%4 == 1 {
		// Not a possible base64url length: grow the payload by one claim
		// character instead, which shifts the remainder.
		prefix = b64(rs256) + "." + b64(`{"iss":"https://gitlab.example.com","exp":1795676400,"x":""}`) + "."
		sig = n - len(prefix)
	}
	return prefix + strings.Repeat("A", sig)
}

type rejectCase struct {
	name      string
	in        string
	wantPart  string
	wantClaim string
	// wantReason is part of the message that tells the user what is wrong.
	wantReason string
}

func rejectCases(t *testing.T) []rejectCase {
	// Fixed claims, kid and signature, so that the messages and the fuzz
	// seeds made from these cases are the same on every run.
	signed := tokentest.Mint(t, map[string]any{"jti": "reject"}, tokentest.WithNow(now),
		tokentest.WithKeyID("reject"), tokentest.WithFakeSignature())
	parts := strings.Split(signed, ".")

	return []rejectCase{
		{name: "empty", in: "", wantReason: "token is empty"},
		{name: "only_newline", in: "\n", wantReason: "token is empty"},
		{name: "too_short", in: "a.b", wantReason: "3 characters long, STS needs at least 4"},
		{name: "too_long", in: sizedToken(token.MaxSize + 2), wantReason: "20002 characters long, more than the 20000 STS accepts"},
		{name: "one_part", in: parts[0] + parts[1], wantReason: "token has 1 part separated by dots, want 3 (header"},
		{name: "two_parts", in: parts[0] + "." + parts[1], wantReason: "token has 2 parts separated by dots, want 3 (header"},
		{name: "four_parts", in: signed + "." + parts[2], wantReason: "has 4 parts"},
		{name: "five_parts_jwe", in: signed + "." + parts[1] + "." + parts[2], wantReason: "encrypted token (JWE)"},
		{name: "empty_header", in: "." + parts[1] + "." + parts[2], wantPart: "header", wantReason: "header (part 1) is empty"},
		{name: "empty_payload", in: parts[0] + ".." + parts[2], wantPart: "payload", wantReason: "payload (part 2) is empty"},
		{name: "empty_signature", in: parts[0] + "." + parts[1] + ".", wantPart: "signature", wantReason: "signature (part 3) is empty: the token is unsigned"},
		{name: "standard_base64_plus", in: parts[0] + "." + parts[1] + "." + parts[2][:10] + "+" + parts[2][11:], wantReason: "which is standard base64"},
		{name: "standard_base64_slash", in: parts[0] + "/" + parts[1][1:] + "." + parts[2], wantReason: "token contains '/' at character"},
		{name: "padded_part", in: parts[0] + "=." + parts[1] + "." + parts[2], wantReason: "'=' padding"},
		{name: "padded_token_end", in: signed + "==", wantReason: "'=' padding"},
		{name: "space_inside", in: parts[0] + "." + parts[1] + " ." + parts[2], wantReason: "contains whitespace (' ') at character"},
		{name: "newline_inside", in: parts[0] + ".\n" + parts[1] + "." + parts[2], wantReason: `contains whitespace ('\n')`},
		{name: "two_trailing_newlines", in: signed + "\n\n", wantReason: `contains whitespace ('\n') at character ` + strconv.Itoa(len(signed)+1)},
		{name: "trailing_space", in: signed + " ", wantReason: "contains whitespace (' ')"},
		{name: "leading_space", in: " " + signed, wantReason: "contains whitespace (' ') at character 1"},
		{name: "quoted", in: `"` + signed + `"`, wantReason: `contains '"' at character 1, which is not base64url`},
		{name: "bearer_prefix", in: "Bearer " + signed, wantReason: `starts with "Bearer "`},
		{name: "non_ascii", in: parts[0] + "." + parts[1] + "é." + parts[2], wantReason: "token contains a non-ASCII byte at character"},
		{name: "control_character", in: parts[0] + "\x00." + parts[1] + "." + parts[2], wantReason: "control character at character"},
		{name: "base64_impossible_length", in: parts[0] + "." + parts[1] + ".AAAAA", wantPart: "signature", wantReason: "signature (part 3) is not valid base64url"},
		{name: "base64_non_canonical", in: parts[0] + "." + parts[1] + ".AB", wantPart: "signature", wantReason: "signature (part 3) is not valid base64url"},
		{name: "header_not_json", in: raw(`alg: RS256`, minimal), wantPart: "header", wantReason: "header is not valid JSON"},
		{name: "header_array", in: raw(`[{"alg":"RS256"}]`, minimal), wantPart: "header", wantReason: "header is not a JSON object but an array"},
		{name: "payload_not_json", in: raw(rs256, `iss=x exp=1`), wantPart: "payload", wantReason: "payload is not valid JSON"},
		{name: "payload_truncated", in: raw(rs256, `{"iss":"https://gitlab.example.com","exp":17956`), wantPart: "payload", wantReason: "payload is not valid JSON"},
		{name: "payload_array", in: raw(rs256, `[`+minimal+`]`), wantPart: "payload", wantReason: "payload is not a JSON object but an array"},
		{name: "payload_string", in: raw(rs256, `"https://gitlab.example.com"`), wantPart: "payload", wantReason: "payload is not a JSON object but a string"},
		{name: "payload_number", in: raw(rs256, `1795676400`), wantPart: "payload", wantReason: "payload is not a JSON object but a number"},
		{name: "payload_null", in: raw(rs256, `null`), wantPart: "payload", wantReason: "payload is not a JSON object but null"},
		{name: "payload_trailing_data", in: raw(rs256, minimal+`{}`), wantPart: "payload", wantReason: "payload is not valid JSON"},
		{name: "alg_none", in: raw(`{"alg":"none"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `header "alg" is "none": the token is unsigned`},
		{name: "alg_none_upper_case", in: raw(`{"alg":"NONE"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `is "none"`},
		{name: "alg_empty", in: raw(`{"alg":""}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `header "alg" is empty`},
		{name: "alg_missing", in: raw(`{"typ":"JWT"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `header has no "alg"`},
		{name: "alg_null", in: raw(`{"alg":null}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `header has no "alg"`},
		{name: "alg_number", in: raw(`{"alg":256}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `header "alg" is a number, want a string`},
		{name: "alg_hs256", in: raw(`{"alg":"HS256"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `"HS256", a shared-secret algorithm`},
		{name: "alg_hs512", in: raw(`{"alg":"HS512"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `"HS512", a shared-secret algorithm`},
		{name: "alg_long_is_cut", in: raw(`{"alg":"HS`+strings.Repeat("x", 100)+`"}`, minimal), wantPart: "header", wantClaim: "alg", wantReason: `"HS` + strings.Repeat("x", 30) + `"…`},
		{name: "exp_missing", in: raw(rs256, `{"iss":"i"}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is missing`},
		{name: "exp_null", in: raw(rs256, `{"iss":"i","exp":null}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is missing`},
		{name: "exp_string", in: raw(rs256, `{"iss":"i","exp":"1795676400"}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is a string, want a number of seconds since 1970`},
		{name: "exp_boolean", in: raw(rs256, `{"iss":"i","exp":true}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is a boolean`},
		{name: "exp_negative", in: raw(rs256, `{"iss":"i","exp":-1}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is out of range`},
		{name: "exp_huge", in: raw(rs256, `{"iss":"i","exp":1e300}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is out of range`},
		{name: "exp_in_milliseconds_year_57000", in: raw(rs256, `{"iss":"i","exp":1795676400000}`), wantPart: "payload", wantClaim: "exp", wantReason: `claim "exp" is out of range`},
		{name: "nbf_string", in: raw(rs256, `{"iss":"i","exp":1795676400,"nbf":"now"}`), wantPart: "payload", wantClaim: "nbf", wantReason: `claim "nbf" is a string`},
		{name: "iat_object", in: raw(rs256, `{"iss":"i","exp":1795676400,"iat":{}}`), wantPart: "payload", wantClaim: "iat", wantReason: `claim "iat" is an object`},
		{name: "iss_missing", in: raw(rs256, `{"exp":1795676400}`), wantPart: "payload", wantClaim: "iss", wantReason: `claim "iss" is missing`},
		{name: "iss_empty", in: raw(rs256, `{"iss":"","exp":1795676400}`), wantPart: "payload", wantClaim: "iss", wantReason: `claim "iss" is missing`},
		{name: "iss_number", in: raw(rs256, `{"iss":1,"exp":1795676400}`), wantPart: "payload", wantClaim: "iss", wantReason: `claim "iss" is a number, want a string`},
		{name: "sub_array", in: raw(rs256, `{"iss":"i","sub":["a"],"exp":1795676400}`), wantPart: "payload", wantClaim: "sub", wantReason: `claim "sub" is an array, want a string`},
		{name: "aud_number", in: raw(rs256, `{"iss":"i","aud":1,"exp":1795676400}`), wantPart: "payload", wantClaim: "aud", wantReason: `claim "aud" is a number, want a string or an array of strings`},
		{name: "aud_object", in: raw(rs256, `{"iss":"i","aud":{"a":1},"exp":1795676400}`), wantPart: "payload", wantClaim: "aud", wantReason: `claim "aud" is an object`},
		{name: "aud_array_with_number", in: raw(rs256, `{"iss":"i","aud":["a",2],"exp":1795676400}`), wantPart: "payload", wantClaim: "aud", wantReason: `claim "aud" holds a number, want only strings`},
	}
}

func TestParse_rejects(t *testing.T) {
	t.Parallel()
	for _, tc := range rejectCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := token.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse() = %v, want an error", got)
			}
			var malformed *token.MalformedError
			if !errors.As(err, &malformed) {
				t.Fatalf("Parse() error = %T %v, want *token.MalformedError", err, err)
			}
			if !strings.Contains(err.Error(), tc.wantReason) {
				t.Errorf("Parse() error = %q, want it to contain %q", err, tc.wantReason)
			}
			if !strings.HasPrefix(err.Error(), "malformed token: ") {
				t.Errorf("Parse() error = %q, want the prefix %q", err, "malformed token: ")
			}
			if diff := cmp.Diff([]string{tc.wantPart, tc.wantClaim}, []string{malformed.Part, malformed.Claim}); diff != "" {
				t.Errorf("Part, Claim mismatch (-want +got):\n%s", diff)
			}
			assertNoLeak(t, err.Error(), tc.in)
		})
	}
}

// TestParse_reject_messages keeps every message in a golden file, so that a
// change of wording is reviewed as what a user reads.
func TestParse_reject_messages(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, tc := range rejectCases(t) {
		_, err := token.Parse(tc.in)
		if err == nil {
			t.Fatalf("%s: Parse() accepted it", tc.name)
		}
		fmt.Fprintf(&b, "%s: %s\n", tc.name, err)
	}
	golden(t, "parse_errors.golden", b.String())
}

func BenchmarkParse(b *testing.B) {
	tok := tokentest.Mint(b, nil, tokentest.WithNow(now))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := token.Parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}
