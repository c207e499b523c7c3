package s3check

import (
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ruletest"
)

// TestValidBucketIsTheRegexp holds the bucket-name byte loop against the
// regexp it replaced.
func TestValidBucketIsTheRegexp(t *testing.T) {
	t.Parallel()
	ruletest.SameAsRegexp(t, "validBucket", `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`, validBucket)
}
