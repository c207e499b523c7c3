package filetests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI is the Debian AWS CLI v2 that `make deps` installs.
const awsCLI = "/usr/bin/aws"

// TestProfileRunKeepsProfilesItDoesNotOwn writes profile "ours" into files
// whose next section header carries a comment, as issue 14 §1 found, and
// asks the real AWS CLI afterwards: profile prod is still there with its
// key, ours holds the new credentials, and the bytes of prod's sections
// are unchanged.
func TestProfileRunKeepsProfilesItDoesNotOwn(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("no AWS CLI at %s (make deps installs it)", awsCLI)
	}
	j := newJob(t)
	config, creds := filepath.Join(j.dir, "aws", "config"), filepath.Join(j.dir, "aws", "credentials")
	prodConfig := "[profile prod] # keep\nregion = us-west-2\n"
	prodCreds := "[prod] # keep\naws_access_key_id = AKIAPRODKEPT\naws_secret_access_key = kept\n"
	// Ours as an earlier run wrote it: with aws-oidc's mark.
	write(t, config, "[profile ours]\n"+ourMarker+"\nregion = old\n"+prodConfig)
	write(t, creds, "[ours]\n"+ourMarker+"\naws_access_key_id = OLD\n"+prodCreds)

	r := j.run(t, nil, "assume", "--role-arn", roleARN, "--sts-endpoint", j.sts.URL, "--region", "eu-west-1",
		"--profile", "ours", "--aws-config-file", config, "--aws-credentials-file", creds)
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	for path, want := range map[string]string{config: prodConfig, creds: prodCreds} {
		b, _ := os.ReadFile(path)
		if !strings.HasSuffix(string(b), want) {
			t.Errorf("%s lost prod's section:\n%s", filepath.Base(path), b)
		}
	}
	aws := func(args ...string) string {
		cmd := exec.Command(awsCLI, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("aws %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := aws("configure", "list-profiles"); got != "ours\nprod" && got != "prod\nours" {
		t.Errorf("the AWS CLI lists %q, want ours and prod", got)
	}
	if got := aws("configure", "get", "aws_access_key_id", "--profile", "prod"); got != "AKIAPRODKEPT" {
		t.Errorf("prod's key id reads %q", got)
	}
	if got := aws("configure", "get", "region", "--profile", "ours"); got != "eu-west-1" {
		t.Errorf("ours' region reads %q", got)
	}
}
