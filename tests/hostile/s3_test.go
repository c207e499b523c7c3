package hostile

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

// TestHostileS3: --check-s3 against an S3 that echoes the session token it
// was called with in its error code and message, or answers the listing
// without end: exit 4, nothing written, no secret printed, under a memory
// limit a normal run fits in.
func TestHostileS3(t *testing.T) {
	t.Parallel()
	// unknown is a long value the run does not know (another session's
	// token, say): a server's text loses it all the same.
	const unknown = "UNKNOWNa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0"
	for _, mode := range []string{"echo", "pieces", "huge"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var seen []string
			s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("X-Amz-Security-Token"))
				echo := strings.Join(seen, " ")
				mu.Unlock()
				if r.Method == http.MethodHead {
					w.WriteHeader(http.StatusOK)
					return
				}
				w.Header().Set("Content-Type", "application/xml")
				if mode == "pieces" {
					// Each token cut by one character, upper-cased, in the code.
					var cut []string
					for _, v := range strings.Fields(echo) {
						cut = append(cut, strings.ToUpper(v[:len(v)-1]))
					}
					w.WriteHeader(http.StatusForbidden)
					fmt.Fprintf(w, "<Error><Code>AccessDenied %s %s</Code><Message>denied</Message></Error>", esc(strings.Join(cut, " ")), unknown)
					return
				}
				if mode == "echo" {
					w.WriteHeader(http.StatusForbidden)
					fmt.Fprintf(w, "<Error><Code>AccessDenied%s</Code><Message>denied for %s%s</Message></Error>", esc(forged+echo), esc(echo), esc(forged))
					return
				}
				fmt.Fprint(w, `<ListBucketResult><Name>`)
				chunk := []byte(strings.Repeat("x", 65536))
				for range 300 * 16 {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			defer s3.Close()
			sts := NewSTS(t, nil)
			dir := t.TempDir()
			token := mint(t, fakegitlab.Options{})
			limit := 0
			if mode == "huge" {
				limit = 1800 // as TestHugeAnswer
			}
			r := run(t, dir, job(dir, token), limit, "assume", "--role-arn", roleARN, "--sts-endpoint", sts.URL,
				"--check-s3", "s3://deploys/app", "--s3-endpoint", s3.URL, "--debug")
			secrets := map[string]string{"the ID token": token}
			for i, s := range sts.Secrets() {
				secrets["server secret "+string(rune('A'+i))] = s
			}
			if r.Code != exitRefused {
				t.Errorf("exit %d, want %d\n%s", r.Code, exitRefused, redacted(r, secrets))
			}
			mu.Lock()
			calls := len(seen)
			mu.Unlock()
			if calls == 0 {
				t.Fatalf("S3 was never called: the case tests nothing\n%s", redacted(r, secrets))
			}
			assertNoSecret(t, texts(t, dir, r, false), secrets)
			assertNoPiece(t, texts(t, dir, r, false), secrets)
			if strings.Contains(r.Stderr, unknown[:20]) {
				t.Error("a long value of the server's was printed")
			}
			assertNoForgedLine(t, "stderr", r.Stderr, secrets)
			if _, err := os.Stat(filepath.Join(dir, "aws.env")); err == nil {
				t.Error("a refused run wrote aws.env")
			}
		})
	}
}
