package logging

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestScrubPiecesAndForms: a piece of a secret (at least gram characters)
// is scrubbed in every form a server has been seen to echo it in.
func TestScrubPiecesAndForms(t *testing.T) {
	t.Parallel()
	token := "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJwcm9qZWN0X3BhdGg6Zy9wOnJlZl90eXBlOmJyYW5jaDpyZWY6bWFpbiJ9.rQdcUcFttA37-wHsT95qGpxxQWNQutyWopurzczjcLwRm8uRn1utVx-7jKUd5tx4ig4YCuuUMOgwrJTqVtIhbyrwNZkSw"
	key := "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY"
	s := NewSecrets()
	s.AddToken(token)
	s.Add(key)
	jsonSlash, _ := json.Marshal(key)
	lowerPct := regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(key), strings.ToLower)
	for name, leak := range map[string]string{
		"token_minus_last":      token[:len(token)-1],
		"signature_minus_first": strings.Split(token, ".")[2][1:],
		"token_prefix":          token[:30],
		"key_halves":            key[:20] + " SPLIT " + key[20:],
		"key_lower_percent":     lowerPct,
		"key_json_slash":        strings.ReplaceAll(string(jsonSlash), "/", `\/`),
		"key_plus_as_space":     strings.ReplaceAll(key, "+", " "),
		"key_form_encoded":      url.QueryEscape(key),
		"key_double_encoded":    url.QueryEscape(url.QueryEscape(key)),
		"key_xml_ref":           strings.ReplaceAll(key, "/", "&#x2F;"),
		"key_upper":             strings.ToUpper(key),
		"key_hex_upper":         strings.ToUpper(hex.EncodeToString([]byte(key))),
		"key_base64_offset0":    base64.StdEncoding.EncodeToString([]byte(key)),
		"key_base64_offset1":    base64.StdEncoding.EncodeToString([]byte("x" + key + "tail")),
		"key_base64_offset2":    base64.URLEncoding.EncodeToString([]byte("xy" + key)),
		"token_base64_inside":   base64.StdEncoding.EncodeToString([]byte(`{"t":"` + token + `"}`)),
	} {
		got := s.Scrub("server says: " + leak + " rejected")
		if !strings.HasPrefix(got, "server says: ") || !strings.HasSuffix(got, " rejected") || !strings.Contains(got, Redacted) {
			t.Errorf("%s: the message around the secret changed or nothing was scrubbed: %q", name, got)
		}
		for _, form := range []string{key, token, strings.ToLower(key)} {
			for i := 0; i+16 <= len(form); i += 4 {
				if strings.Contains(strings.ToLower(got), strings.ToLower(form[i:i+16])) {
					t.Errorf("%s: a piece of a secret is left: %q", name, got)
				}
			}
		}
	}
	for _, keep := range []string{
		"Not authorized to perform sts:AssumeRoleWithWebIdentity",
		"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
		"User: arn:aws:sts::123456789012:assumed-role/deploy/aws-oidc-1795987223 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/chained",
		"project_path:mygroup/myproject:ref_type:branch:ref:main",
		"wJalrXUtnFEM", // a piece under the gram length
	} {
		if got := s.Scrub(keep); got != keep {
			t.Errorf("Scrub changed an ordinary message: %q", got)
		}
	}
}

func TestServerText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Not authorized to perform sts:AssumeRoleWithWebIdentity", ""},
		{"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements", ""},
		{"No OpenIDConnect provider found in your account for https://gitlab.example.com/group/subgroup-with-a-long-name-2024", ""},
		{"User: arn:aws:sts::123456789012:assumed-role/GitLabDeployRoleForProductionAccount2024/aws-oidc-1795987223-2002 is not authorized", ""},
		{"RequestID: c6104cbe-af31-11e0-8154-cbc7ccf896c7", ""},
		{"token rQdcUcFttA37-wHsT95qGpxxQWNQutyWopurzczjcLwRm8uRn1utVx rejected", "token " + LongValueRemoved + " rejected"},
		{"in arn:aws:sts::1:assumed-role/deploy/" + strings.Repeat("aB3", 30) + "/x", "in arn:aws:sts::1:assumed-role/deploy/" + LongValueRemoved + "/x"},
		{"at https://h.example/" + strings.Repeat("aB3", 30), "at https://h.example/" + LongValueRemoved},
		{"hex 8f2a9c0d1e3b4a5f6c7d8e9fa0b1c2d3e4f5a6b7c8d9", "hex " + LongValueRemoved},
	} {
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if got := ServerText(tc.in); got != want {
			t.Errorf("ServerText(%q) = %q, want %q", tc.in, got, want)
		}
	}
}

func BenchmarkScrub(b *testing.B) {
	s := NewSecrets()
	s.AddToken("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0." + strings.Repeat("eyJzdWIiOiJwcm9q", 40) + "." + strings.Repeat("rQdcUcFttA37-wHs", 22))
	for i := range 8 {
		s.Add(strings.Repeat(string(rune('A'+i))+"wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLE", 20))
	}
	msg := "operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 403, RequestID: c6104cbe-af31-11e0-8154-cbc7ccf896c7, api error AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
	for b.Loop() {
		s.Scrub(msg)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://sts.us-east-1.amazonaws.com":  "https://sts.us-east-1.amazonaws.com",
		"http://usr:PW@127.0.0.1:1/x":          "http://…@127.0.0.1:1/x",
		"http:/usr:PW@127.0.0.1:1":             HiddenURL,
		"127.0.0.1:1@usr:PW":                   HiddenURL,
		"http://usr:PW@exa mple:3128":          HiddenURL,
		"https://127.0.0.1:1/usr:PW@x":         HiddenURL,
		"https://gitlab.example.com/-/jwks?x=": "https://gitlab.example.com/-/jwks?x=",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"through proxy http://http://usr:PW@exa mple:3128": "through proxy http://http://…@exa mple:3128",
		"jwks_uri https://u:PW@gitlab.example.com/jwks":    "jwks_uri https://…@gitlab.example.com/jwks",
		"mail git@gitlab.com stays":                        "mail git@gitlab.com stays",
	} {
		if got := cutUserinfo(in); got != want {
			t.Errorf("cutUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzScrub: whatever the text (escapes cut in the middle, invalid UTF-8),
// Scrub never panics, and a secret placed in it whole is gone.
func FuzzScrub(f *testing.F) {
	f.Add("token %2F%2f \\/ \\u002f &#x2F; &#47; + end", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY")
	f.Add("%", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Add("\\u00", "0123456789abcdef")
	f.Add("&#x", "&#x2F;&#x2F;&#x2F;&#x2F;")
	f.Fuzz(func(t *testing.T, text, secret string) {
		s := NewSecrets()
		s.AddToken(secret)
		got := s.Scrub(text + secret + text)
		if len(strings.TrimSpace(secret)) >= minSecret && strings.Contains(got, strings.TrimSpace(secret)) {
			t.Errorf("Scrub left the secret in %q", got)
		}
		_ = ServerText(text)
		_ = URL(text)
		_ = cutUserinfo(text)
	})
}
