package exchange

import (
	"errors"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

func TestSourceIdentity(t *testing.T) {
	t.Parallel()
	claims := token.Claims{UserLogin: "jdoe", UserEmail: "j.doe+ci@example.com", ProjectPath: "grp/proj", Actor: "ünïcode user"}
	tests := []struct {
		name      string
		flag      string
		want      string
		rewritten bool
		parseErr  string
		errMsg    string
	}{
		{name: "none", flag: "", want: ""},
		{name: "literal", flag: "release-bot@corp", want: "release-bot@corp"},
		{name: "literal_all_chars", flag: "a_B+=,.@-9", want: "a_B+=,.@-9"},
		{name: "literal_too_short", flag: "x", parseErr: "must be 2 to 64 characters"},
		{name: "literal_too_long", flag: strings.Repeat("a", 65), parseErr: "must be 2 to 64 characters"},
		{name: "literal_bad_char", flag: "john doe", parseErr: "must be 2 to 64 characters"},
		{name: "literal_aws_prefix", flag: "aws:me", parseErr: "must be 2 to 64 characters"},
		{name: "claim_user_login", flag: "claim:user_login", want: "jdoe"},
		{name: "claim_email_kept", flag: "claim:user_email", want: "j.doe+ci@example.com"},
		{name: "claim_slash_sanitised", flag: "claim:project_path", want: "grp_proj", rewritten: true},
		{name: "claim_unicode_sanitised", flag: "claim:actor", want: "_n_code_user", rewritten: true},
		{name: "claim_unknown", flag: "claim:password", parseErr: "valid: actor, job_id"},
		{name: "claim_missing", flag: "claim:pipeline_id", errMsg: "the token has no pipeline_id claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSourceIdentity(tt.flag)
			if tt.parseErr != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "source-identity" || !strings.Contains(err.Error(), tt.parseErr) {
					t.Fatalf("ParseSourceIdentity(%q) = %v, want a source-identity error with %q", tt.flag, err, tt.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, rewritten, err := s.Resolve(claims)
			if tt.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMsg) {
					t.Fatalf("Resolve = %v, want %q", err, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || rewritten != tt.rewritten {
				t.Errorf("Resolve = %q, %v; want %q, %v", got, rewritten, tt.want, tt.rewritten)
			}
		})
	}
}

func TestSanitizeSourceIdentityCuts(t *testing.T) {
	t.Parallel()
	got := SanitizeSourceIdentity(strings.Repeat("é", 100))
	if len(got) != maxSourceIdentity || strings.Trim(got, "_") != "" {
		t.Errorf("got %q (%d bytes)", got, len(got))
	}
}

func FuzzSanitizeSourceIdentity(f *testing.F) {
	f.Add("jdoe")
	f.Add("grp/proj ü\x00")
	f.Fuzz(func(t *testing.T, v string) {
		got := SanitizeSourceIdentity(v)
		if len(got) > maxSourceIdentity {
			t.Fatalf("%d bytes", len(got))
		}
		for _, r := range got {
			if !iamRune(r) {
				t.Fatalf("%q holds %q", got, r)
			}
		}
	})
}
