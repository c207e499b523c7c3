package output

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnviron: the credentials replace every variable through which the
// AWS CLI and SDKs would find others first; the rest stays in order.
func TestEnviron(t *testing.T) {
	t.Parallel()
	environ := []string{"PATH=/usr/bin", "AWS_PROFILE=prod", "AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token",
		"AWS_ROLE_ARN=arn:aws:iam::111111111111:role/x", "AWS_SECURITY_TOKEN=old", "AWS_DEFAULT_PROFILE=p", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1", "HOME=/home/job"}
	vars := []Var{{Key: KeyAccessKeyID, Value: "ASIANEW"}, {Key: KeySecretAccessKey, Value: "s", Secret: true}, {Key: KeyRegion, Value: "eu-west-1"}}
	want := []string{"PATH=/usr/bin", "AWS_ENDPOINT_URL=http://127.0.0.1:1", "HOME=/home/job",
		"AWS_ACCESS_KEY_ID=ASIANEW", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=eu-west-1"}
	if diff := cmp.Diff(want, Environ(environ, vars)); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}
