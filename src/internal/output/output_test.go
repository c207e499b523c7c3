package output

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// Fake credentials shaped like real ones (the key id and secret are AWS's
// documentation examples), so that sizes and quoting match real runs.
const (
	fakeKeyID  = "ASIAEXAMPLEEXAMPLE12"
	fakeSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// fakeToken is about as long as a real STS session token for a web identity
// session, with the same alphabet.
var fakeToken = "IQoJb3JpZ2luX2VjEXAMPLE" + strings.Repeat("FwoGZXIvYXdzEXAMPLE+tokenPART/0123456789abcdefXYZ", 18)

func fakeCredentials() exchange.Credentials {
	return exchange.Credentials{
		AccessKeyID:     fakeKeyID,
		SecretAccessKey: fakeSecret,
		SessionToken:    fakeToken,
		Expiration:      time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC),
	}
}

func fakeSession() exchange.Session {
	return exchange.Session{
		RoleARN:        "arn:aws:iam::123456789012:role/deploy",
		AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/deploy/GitLabRunner-42-1001-5001",
		AccountID:      "123456789012",
		SessionName:    "GitLabRunner-42-1001-5001",
		Region:         "eu-west-1",
	}
}

// assertNoSecret fails when any of the fake secrets appears in text.
func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{fakeSecret, fakeToken, secretMarker} {
		if strings.Contains(text, s) {
			t.Errorf("%s holds a secret value: %q", what, text)
		}
	}
}

// secretMarker is the value of Secret test variables that break a rule: no
// error may ever repeat it.
const secretMarker = "TOPSECRETvalue"

func TestVariables(t *testing.T) {
	t.Parallel()

	noRegion := fakeSession()
	noRegion.Region = ""

	fractional := fakeCredentials()
	fractional.Expiration = time.Date(2026, 11, 26, 9, 0, 0, 999_000_000, time.FixedZone("CET", 3600))

	cases := []struct {
		name    string
		prefix  string
		creds   exchange.Credentials
		session exchange.Session
		want    []Var
	}{
		{
			name:    "no_prefix",
			creds:   fakeCredentials(),
			session: fakeSession(),
			want: []Var{
				{Key: "AWS_ACCESS_KEY_ID", Value: fakeKeyID},
				{Key: "AWS_SECRET_ACCESS_KEY", Value: fakeSecret, Secret: true},
				{Key: "AWS_SESSION_TOKEN", Value: fakeToken, Secret: true},
				{Key: "AWS_REGION", Value: "eu-west-1"},
				{Key: "AWS_DEFAULT_REGION", Value: "eu-west-1"},
				{Key: "AWS_CREDENTIAL_EXPIRATION", Value: "2026-11-26T08:00:00Z"},
			},
		},
		{
			name:    "prefix",
			prefix:  "PROD_",
			creds:   fakeCredentials(),
			session: fakeSession(),
			want: []Var{
				{Key: "PROD_AWS_ACCESS_KEY_ID", Value: fakeKeyID},
				{Key: "PROD_AWS_SECRET_ACCESS_KEY", Value: fakeSecret, Secret: true},
				{Key: "PROD_AWS_SESSION_TOKEN", Value: fakeToken, Secret: true},
				{Key: "PROD_AWS_REGION", Value: "eu-west-1"},
				{Key: "PROD_AWS_DEFAULT_REGION", Value: "eu-west-1"},
				{Key: "PROD_AWS_CREDENTIAL_EXPIRATION", Value: "2026-11-26T08:00:00Z"},
			},
		},
		{
			name:    "no_region_leaves_region_out",
			creds:   fakeCredentials(),
			session: noRegion,
			want: []Var{
				{Key: "AWS_ACCESS_KEY_ID", Value: fakeKeyID},
				{Key: "AWS_SECRET_ACCESS_KEY", Value: fakeSecret, Secret: true},
				{Key: "AWS_SESSION_TOKEN", Value: fakeToken, Secret: true},
				{Key: "AWS_CREDENTIAL_EXPIRATION", Value: "2026-11-26T08:00:00Z"},
			},
		},
		{
			name:    "expiration_in_utc_whole_seconds",
			creds:   fractional,
			session: noRegion,
			want: []Var{
				{Key: "AWS_ACCESS_KEY_ID", Value: fakeKeyID},
				{Key: "AWS_SECRET_ACCESS_KEY", Value: fakeSecret, Secret: true},
				{Key: "AWS_SESSION_TOKEN", Value: fakeToken, Secret: true},
				{Key: "AWS_CREDENTIAL_EXPIRATION", Value: "2026-11-26T08:00:00Z"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Variables(tc.prefix, tc.creds, tc.session)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Variables (-want +got):\n%s", diff)
			}
		})
	}
}
