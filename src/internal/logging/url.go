package logging

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// URL is a URL-ish value (an endpoint, a proxy, a jwks_uri) as it may be
// printed: never with what stands before an "@", which may be a user name
// and password. A well-formed http(s) URL keeps its scheme, host and path
// ("https://…@host/path"); any other value holding an "@" is not shown at
// all, since which part of it is a password cannot be told.
func URL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Opaque == "" {
		u.User = nil
		if s := u.String(); !strings.Contains(s, "@") && !strings.Contains(s, "%40") {
			return strings.Replace(s, "://", "://…@", 1)
		}
	}
	return HiddenURL
}

// HiddenURL stands for a value URL does not show.
const HiddenURL = "[a value with an @, not shown: it may hold a password]"

// userinfo finds "scheme:/" or "scheme://" followed by a user name and
// password: the last line of defence in Writer, for a URL some message
// quotes without going through URL. It compiles on first use, not at every
// start-up.
var userinfo = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*:/{1,3})[^/\s@"'<>]*@`)
})

func cutUserinfo(text string) string {
	if !strings.Contains(text, "@") {
		return text
	}
	return userinfo().ReplaceAllStringFunc(text, func(m string) string {
		if strings.HasSuffix(m, ":xxxxx@") {
			// Already masked, as url.URL.Redacted does.
			return m
		}
		return userinfo().ReplaceAllString(m, "${1}…@")
	})
}
