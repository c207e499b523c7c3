package token_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func TestToken_printing_never_shows_the_token(t *testing.T) {
	t.Parallel()
	raw := tokentest.Mint(t, map[string]any{"environment": "production"}, tokentest.WithNow(now))
	tok := mustParse(t, raw)

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("token", "token", tok, "value", *tok)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("token", "token", tok)

	outputs := map[string]string{"slog": logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T", "%d", "%60.3v"} {
		outputs["pointer "+verb] = fmt.Sprintf(verb, tok)
		outputs["value "+verb] = fmt.Sprintf(verb, *tok)
	}
	outputs["nested struct"] = fmt.Sprintf("%+v", struct{ T *token.Token }{tok})
	outputs["slice"] = fmt.Sprintf("%#v", []token.Token{*tok})
	outputs["print"] = fmt.Sprint(tok, *tok)
	b, _ := json.Marshal(tok)
	outputs["json"] = string(b)

	for name, out := range outputs {
		assertNoLeak(t, out, raw)
		if strings.Contains(out, "alice@example.com") {
			t.Errorf("%s shows the user's email: %s", name, out)
		}
	}
	for _, name := range []string{"pointer %v", "value %s", "slog"} {
		if !strings.Contains(outputs[name], "project_path:mygroup/myproject:ref_type:branch:ref:main") {
			t.Errorf("%s does not show the subject: %s", name, outputs[name])
		}
	}
}

func TestToken_String(t *testing.T) {
	t.Parallel()
	tok := mustParse(t, tokentest.Mint(t, map[string]any{"environment": "production"}, tokentest.WithNow(now)))
	want := `token{iss="https://gitlab.example.com" aud="https://gitlab.example.com" ` +
		`sub="project_path:mygroup/myproject:ref_type:branch:ref:main" ref="main" ref_type="branch" ` +
		`ref_protected="true" environment="production" exp="2026-11-26T08:00:00Z"}`
	if diff := cmp.Diff(want, tok.String()); diff != "" {
		t.Errorf("String() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, fmt.Sprintf("%+v", tok)); diff != "" {
		t.Errorf("%%+v mismatch (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"iss":"https://gitlab.example.com","aud":"https://gitlab.example.com",` +
		`"sub":"project_path:mygroup/myproject:ref_type:branch:ref:main","ref":"main","ref_type":"branch",` +
		`"ref_protected":"true","environment":"production","exp":"2026-11-26T08:00:00Z"}`
	if diff := cmp.Diff(wantJSON, string(b)); diff != "" {
		t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestToken_LogValue(t *testing.T) {
	t.Parallel()
	tok := mustParse(t, tokentest.Mint(t, map[string]any{"aud": []string{"a", "b"}}, tokentest.WithNow(now)))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})).Info("read token", "token", tok)
	want := `level=INFO msg="read token" token.iss=https://gitlab.example.com token.aud=a,b ` +
		`token.sub=project_path:mygroup/myproject:ref_type:branch:ref:main token.ref=main token.ref_type=branch ` +
		`token.ref_protected=true token.exp=2026-11-26T08:00:00Z` + "\n"
	if diff := cmp.Diff(want, logs.String()); diff != "" {
		t.Errorf("log line mismatch (-want +got):\n%s", diff)
	}
}

func TestClaims_Safe_leaves_out_empty_claims(t *testing.T) {
	t.Parallel()
	got := token.Claims{Issuer: "https://gitlab.example.com", Environment: "staging"}.Safe()
	want := []token.KV{{Key: "iss", Value: "https://gitlab.example.com"}, {Key: "environment", Value: "staging"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Safe() mismatch (-want +got):\n%s", diff)
	}
}

func TestToken_Secrets(t *testing.T) {
	t.Parallel()
	raw := tokentest.Mint(t, nil)
	parts := strings.Split(raw, ".")
	if diff := cmp.Diff([]string{raw, parts[1], parts[2]}, mustParse(t, raw).Secrets()); diff != "" {
		t.Errorf("Secrets() mismatch (-want +got):\n%s", diff)
	}
	var none *token.Token
	if none.Secrets() != nil || none.Value() != "" {
		t.Errorf("a nil token has secrets")
	}
}
