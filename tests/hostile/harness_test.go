package hostile

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// bin holds the tool under test, built once (or AWS_OIDC_BIN, to run these
// tests against another build, such as an older main).
var bin harness.Binaries

func TestMain(m *testing.M) { harness.Main(m, &bin, nil) }

// Exit codes of the contract.
const (
	exitOK      = 0
	exitConfig  = 2
	exitToken   = 3
	exitRefused = 4
)

const (
	roleARN  = "arn:aws:iam::123456789012:role/deploy"
	chainARN = "arn:aws:iam::123456789012:role/chained"
	// issuerURL is where the tokens say they come from: loopback, on a
	// port nothing listens on, so doctor's checks never leave the machine.
	issuerURL = "https://127.0.0.1:9"
)

var (
	keyOnce sync.Once
	key     *fakegitlab.Key
	keyErr  error
)

// mint returns a GitLab ID token shaped by o.
func mint(t *testing.T, o fakegitlab.Options) string {
	t.Helper()
	keyOnce.Do(func() { key, keyErr = fakegitlab.NewKey() })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	tok, err := (&fakegitlab.Issuer{URL: issuerURL, Key: key}).Mint(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// job is the environment of a GitLab job holding token; nothing else of
// this process's environment is passed on, PATH aside.
func job(dir, token string) map[string]string {
	return map[string]string{
		"GITLAB_CI":         "true",
		"CI_PROJECT_ID":     "22",
		"CI_PIPELINE_ID":    "1001",
		"CI_JOB_ID":         "2002",
		"GITLAB_OIDC_TOKEN": token,
		"PATH":              os.Getenv("PATH"),
		"HOME":              dir,
	}
}

// run runs the tool in dir with exactly env, under a memory limit of
// limitMB megabytes of address space when it is positive.
func run(t *testing.T, dir string, env map[string]string, limitMB int, args ...string) harness.Result {
	t.Helper()
	p := harness.Process{Path: bin.Tool(t), Args: args, Dir: dir, Env: env}
	if limitMB > 0 {
		p.Wrap = []string{"prlimit", fmt.Sprintf("--as=%d", limitMB<<20)}
	}
	return harness.Run(t, p)
}

// withParts adds the header and payload of every token among secrets:
// harness.Encodings cover a token's signature alone, and no output here has
// a reason to hold its other parts either.
func withParts(secrets map[string]string) map[string]string {
	out := maps.Clone(secrets)
	for label, s := range secrets {
		if parts := strings.Split(s, "."); len(parts) == 3 {
			out[label+" (header)"], out[label+" (payload)"] = parts[0], parts[1]
		}
	}
	return out
}

// texts are what a run left for people and later jobs to read: its
// streams, and every file under dir except those named in keep (outputs
// that hold credentials by design).
func texts(t *testing.T, dir string, r harness.Result, stdoutHoldsCredentials bool, keep ...string) map[string]string {
	t.Helper()
	out := map[string]string{"stderr": r.Stderr}
	if !stdoutHoldsCredentials {
		out["stdout"] = r.Stdout
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for _, k := range keep {
			if rel == k {
				return nil
			}
		}
		b, err := os.ReadFile(path)
		out["file "+rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertNoSecret fails when any text holds any secret, or a part of a
// token, in any form. It never prints a secret: only its label, form and
// where it was found.
func assertNoSecret(t *testing.T, where map[string]string, secrets map[string]string) {
	t.Helper()
	harness.AssertNoSecret(t, where, withParts(secrets))
}

// assertNoPiece fails when any text holds a piece of 20 characters of any
// secret, after undoing what servers do to echoed text: percent escapes in
// either case, JSON's \/, '+' as a space, case; or such a piece of its
// hex or base64 (at any alignment). It never prints a secret.
func assertNoPiece(t *testing.T, where map[string]string, secrets map[string]string) {
	t.Helper()
	const n = 20
	for label, secret := range secrets {
		forms := []string{secret, hex.EncodeToString([]byte(secret))}
		for _, pre := range []string{"", "x", "xy"} {
			e := base64.StdEncoding.EncodeToString([]byte(pre + secret))
			forms = append(forms, e[len(pre)+1:len(e)-4])
		}
		for name, text := range where {
			views := []string{text}
			if d, err := url.PathUnescape(text); err == nil {
				views = append(views, d)
			}
			views = append(views, strings.ReplaceAll(text, `\/`, "/"))
		scan:
			for _, form := range forms {
				form = strings.ToLower(strings.ReplaceAll(form, "+", " "))
				n := min(n, len(form))
				for i := 0; i+n <= len(form); i += 3 {
					for _, v := range views {
						if strings.Contains(strings.ToLower(strings.ReplaceAll(v, "+", " ")), form[i:i+n]) {
							t.Errorf("a piece of %s leaked in %s", label, name)
							break scan
						}
					}
				}
			}
		}
	}
}

// ourMarkers are the collapsible-section lines the tool writes itself.
var ourMarkers = regexp.MustCompile(`\x1b\[0Ksection_(start|end):[0-9]+:aws_oidc_token(\[collapsed=true\])?\r\x1b\[0K`)

// assertNoForgedLine fails when a stream holds a control character (other
// than line ends and tabs) or a line a CI runner would take for a command,
// other than the tool's own section markers.
// The offending line is shown with the secrets cut out.
func assertNoForgedLine(t *testing.T, name, text string, secrets map[string]string) {
	t.Helper()
	text = ourMarkers.ReplaceAllString(text, "")
	for i, line := range strings.Split(text, "\n") {
		if strings.ContainsFunc(line, func(r rune) bool { return r != '\t' && unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
			t.Errorf("%s line %d holds a raw control character: %q", name, i+1, redact(line, secrets))
		}
		if strings.ContainsFunc(line, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
			t.Errorf("%s line %d holds a raw format character (bidi override, zero-width): %q", name, i+1, redact(line, secrets))
		}
		rest := strings.TrimLeft(line, " \t")
		if (strings.HasPrefix(rest, "::") && rest != "::endgroup::" && !strings.HasPrefix(rest, "::group::aws-oidc")) || strings.HasPrefix(rest, "##[") {
			t.Errorf("%s line %d reads as a CI command: %q", name, i+1, redact(line, secrets))
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// redacted shows a failed run with the secrets cut out of its stderr and
// only the size of its stdout.
func redacted(r harness.Result, secrets map[string]string) string {
	return r.Describe(func(text string) string { return redact(text, secrets) })
}

func redact(text string, secrets map[string]string) string {
	for _, s := range withParts(secrets) {
		for _, v := range harness.Encodings(s) {
			text = strings.ReplaceAll(text, v, "[SECRET]")
		}
	}
	// Pieces and encodings of secrets too (a failing run may print them).
	return longRun.ReplaceAllString(text, "[LONG]")
}

var longRun = regexp.MustCompile(`[A-Za-z0-9+/=_%\\-]{20,}`)

// assertNothingWritten checks that a refused run left no credentials file
// in dir and wrote nothing to the GitHub command files.
func assertNothingWritten(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"aws.env", ".aws-oidc/credentials", ".aws-oidc/config"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a refused run wrote %s", f)
		}
	}
	for _, f := range []string{"github_env", "github_output"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); len(b) > 0 {
			t.Errorf("a refused run wrote to %s", f)
		}
	}
}
