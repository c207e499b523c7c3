package ci

import (
	"strings"
)

// maxUserAgentValue bounds each value in the User-Agent comment: project
// paths can be long, and CloudTrail keeps the header, not a novel.
const maxUserAgentValue = 200

// UserAgent is what aws-oidc adds to the AWS SDK's User-Agent header:
// aws-oidc/<version>, then a comment naming the job that made the request,
// so that the userAgent field of CloudTrail ties a session to its job even
// where the user chose the session name:
//
//	aws-oidc/1.2.3 (gitlab; job 2002; project mygroup/myproject)
//	aws-oidc/1.2.3 (github; run 9001; attempt 2; repository mygroup/myproject)
//
// Outside CI it is the product alone. Values are reduced to what an HTTP
// comment may hold.
func UserAgent(p Platform, version string, getenv func(string) string) string {
	product := "aws-oidc/" + token(version)
	var parts []string
	add := func(label, name string) {
		if v := getenv(name); v != "" {
			parts = append(parts, label+" "+commentText(v))
		}
	}
	switch p {
	case GitLab:
		add("job", "CI_JOB_ID")
		add("project", "CI_PROJECT_PATH")
	case GitHub:
		add("run", "GITHUB_RUN_ID")
		add("attempt", "GITHUB_RUN_ATTEMPT")
		add("repository", "GITHUB_REPOSITORY")
	default:
		return product
	}
	return product + " (" + strings.Join(append([]string{p.String()}, parts...), "; ") + ")"
}

// token keeps the characters an HTTP token allows (RFC 9110, 5.6.2).
func token(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("!#$%&'*+-.^_`|~", r):
			return r
		}
		return '_'
	}, cut(s))
}

// commentText keeps what an HTTP comment allows without escapes: visible
// ASCII but the parentheses and backslash, and ';' that separates our parts.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || strings.ContainsRune(`()\;`, r) {
			return '_'
		}
		return r
	}, cut(s))
}

func cut(s string) string {
	if len(s) > maxUserAgentValue {
		return s[:maxUserAgentValue]
	}
	return s
}
