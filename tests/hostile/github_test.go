package hostile

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestGitHubTokenEndpointEchoes: GitHub's token endpoint is asked with the
// job's request token (ACTIONS_ID_TOKEN_REQUEST_TOKEN), which mints ID
// tokens for the job. An endpoint that echoes it in its error answer, whole
// or cut, or that redirects to a URL holding it (on its own host or to
// another), and a request URL with a password, must not get it or the
// password printed; a redirect to another host is not followed.
func TestGitHubTokenEndpointEchoes(t *testing.T) {
	t.Parallel()
	const requestToken = "ghs_R3qu3stT0kenSECRET123abcXYZ"
	for _, c := range []struct {
		name    string
		handler func(other string) http.HandlerFunc
		// url turns the endpoint's URL into ACTIONS_ID_TOKEN_REQUEST_URL.
		url func(endpoint string) string
	}{
		{name: "error_echoes_authorization", handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				auth := r.Header.Get("Authorization")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"message":"bad ` + auth + " " + auth[7:len(auth)-1] + `"}`))
			}
		}},
		{name: "redirect_to_other_host", handler: func(other string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other+"/x/"+url.PathEscape(r.Header.Get("Authorization"))+"?t="+requestToken[:len(requestToken)-1], http.StatusFound)
			}
		}},
		{name: "redirect_to_dead_host", handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://127.0.0.1:1/x/"+url.PathEscape(r.Header.Get("Authorization")), http.StatusFound)
			}
		}},
		{name: "redirect_same_host_then_echo", handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.URL.Path, "/again") {
					http.Redirect(w, r, "/again/"+url.PathEscape(r.Header.Get("Authorization")), http.StatusFound)
					return
				}
				w.WriteHeader(http.StatusBadGateway)
				w.Write([]byte(r.URL.Path))
			}
		}},
		{name: "request_url_with_password", handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }
		}, url: func(e string) string { return strings.Replace(e, "http://", "http://usr:PassW0rdSecretLongEnough@", 1) }},
		{name: "malformed_request_url_with_password", handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }
		}, url: func(e string) string {
			return "http:/usr:PassW0rdSecretLongEnough@" + strings.TrimPrefix(e, "http://") + "/%zz"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var gotByOther bool
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotByOther = true
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(r.URL.String()))
			}))
			defer other.Close()
			endpoint := httptest.NewServer(c.handler(other.URL))
			defer endpoint.Close()
			sts := NewSTS(t, nil)
			dir := t.TempDir()
			requestURL := endpoint.URL + "/token?api-version=2.0&job=JobSecretQuery0123456789"
			if c.url != nil {
				requestURL = c.url(requestURL)
			}
			env := map[string]string{
				"GITHUB_ACTIONS":                 "true",
				"ACTIONS_ID_TOKEN_REQUEST_URL":   requestURL,
				"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
				"PATH":                           job(dir, "")["PATH"],
				"HOME":                           dir,
			}
			r := run(t, dir, env, 0, "assume", "--role-arn", roleARN, "--region", "eu-west-1", "--sts-endpoint", sts.URL, "--output", "json")
			secrets := map[string]string{"the request token": requestToken, "the request URL's query": "JobSecretQuery0123456789", "the request URL's password": "PassW0rdSecretLongEnough"}
			if r.Code == exitOK {
				t.Errorf("the run succeeded without a token\n%s", redacted(r, secrets))
			}
			if sts.Total() != 0 {
				t.Errorf("STS was called %d times without a token", sts.Total())
			}
			if gotByOther {
				t.Error("a redirect to another host was followed with the request token")
			}
			assertNoPiece(t, texts(t, dir, r, false), secrets)
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
		})
	}
}
