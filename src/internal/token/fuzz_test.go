package token_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// FuzzParse checks that Parse never panics, that an accepted token comes
// back unchanged from Value and parses again to the same claims, and that a
// rejection never quotes the input or a part of it.
//
// The committed corpus under testdata/fuzz/FuzzParse holds tokens with fake
// signatures (see TestWriteFuzzCorpus); run the fuzzer with
//
//	go test ./src/internal/token -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	f.Add(raw(rs256, minimal))
	f.Add(raw(rs256, minimal) + "\r\n")
	f.Add(raw(`{"alg":"none"}`, minimal))
	f.Add(raw(rs256, `{"iss":"i","exp":"1"}`))
	f.Add(raw(rs256, `{"iss":"i","exp":1,"aud":["a",1]}`))
	f.Add("a.b.c")

	f.Fuzz(func(t *testing.T, in string) {
		tok, err := token.Parse(in)
		if err != nil {
			var malformed *token.MalformedError
			if !errors.As(err, &malformed) {
				t.Fatalf("Parse() error is %T, want *token.MalformedError", err)
			}
			msg := err.Error()
			if len(in) > 16 && strings.Contains(msg, in) {
				t.Fatalf("Parse() error quotes the input: %q", msg)
			}
			for _, part := range strings.Split(in, ".") {
				if len(part) > 16 && strings.Contains(msg, part) {
					t.Fatalf("Parse() error quotes a part of the input: %q", msg)
				}
			}
			return
		}
		want := strings.TrimSuffix(in, "\n")
		if strings.HasSuffix(in, "\r\n") {
			want = strings.TrimSuffix(in, "\r\n")
		}
		if tok.Value() != want {
			t.Fatalf("Value() = %q, want %q", tok.Value(), want)
		}
		again, err := token.Parse(tok.Value())
		if err != nil {
			t.Fatalf("Parse(Value()) error = %v", err)
		}
		if diff := cmp.Diff(tok.Claims, again.Claims); diff != "" {
			t.Fatalf("Parse(Value()) claims mismatch (-first +second):\n%s", diff)
		}
		assertNoLeak(t, tok.String(), tok.Value())
	})
}

// TestWriteFuzzCorpus rewrites the committed seed corpus with -update: one
// file per rejection case and a few realistic tokens. Signatures are fake,
// so that nothing in the repository looks like a usable credential.
func TestWriteFuzzCorpus(t *testing.T) {
	if !goldentest.Updating() {
		t.Skip("only with -update")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string]string{
		"gitlab_token":        tokentest.Mint(t, map[string]any{"jti": "seed"}, tokentest.WithNow(now), tokentest.WithKeyID("seed"), tokentest.WithFakeSignature()),
		"github_token":        tokentest.Mint(t, map[string]any{"jti": "seed"}, tokentest.WithNow(now), tokentest.WithGitHub(), tokentest.WithKeyID("seed"), tokentest.WithFakeSignature()),
		"gitlab_token_eol":    tokentest.Mint(t, map[string]any{"jti": "seed"}, tokentest.WithNow(now), tokentest.WithKeyID("seed"), tokentest.WithFakeSignature()) + "\n",
		"audience_array":      raw(rs256, `{"iss":"i","exp":1795676400,"aud":["a","b"]}`),
		"fractional_times":    raw(rs256, `{"iss":"i","exp":1795676400.5,"nbf":1.5e9,"iat":0}`),
		"ci_claims_any_types": raw(rs256, `{"iss":"i","exp":1795676400,"project_id":42,"ref_protected":true,"job_id":{}}`),
	}
	for _, tc := range rejectCases(t) {
		if len(tc.in) <= 4096 {
			seeds["reject_"+tc.name] = tc.in
		}
	}
	for name, in := range seeds {
		content := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", in)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
