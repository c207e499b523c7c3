package exchange

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestClassifySDKAnswers classifies what the real SDK client returns for
// the broken answers proxies and load balancers send (the fault suite in
// tests/e2e sends the same through a real proxy): hand-built error chains
// cannot show which wrapper the SDK actually uses.
func TestClassifySDKAnswers(t *testing.T) {
	t.Parallel()
	const head = `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>`
	cases := []struct {
		name      string
		status    int
		body      string
		wantCode  string
		wantClass Class
	}{
		{"garbled_success", 200, head + `</Credentialz></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, "bad-response", Transient},
		{"cut_success", 200, head + `<SecretAcc`, "bad-response", Transient},
		{"empty_503", 503, "", "http-503", Transient},
		{"text_500", 500, "Internal Server Error\n", "http-500", Transient},
		{"html_502", 502, "<html><body>Bad Gateway</body></html>", "http-502", Transient},
		{"text_429", 429, "slow down", "http-429", Transient},
		// A 400 whose body is not an STS error document is a garbled
		// answer (an overloaded front, a proxy's page): transient, not a
		// refusal, since STS said nothing about the request.
		{"html_400", 400, "<html><body>Bad Request</body></html>", "bad-response", Transient},
		{"empty_400", 400, "", "bad-response", Transient},
		{"json_400", 400, `{"message":"busy"}`, "bad-response", Transient},
		{"sts_validation_400", 400, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>no</Message></Error></ErrorResponse>`, "ValidationError", Permanent},
		{"html_403", 403, "<html><body>Forbidden</body></html>", "http-403", Permanent},
		{"sts_throttling", 400, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`, "Throttling", Transient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(tc.body)))
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			client := NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL})
			_, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"), RoleSessionName: aws.String("s"),
				WebIdentityToken: aws.String("header.payload.signature")})
			if err == nil {
				t.Fatal("the SDK accepted the answer")
			}
			code, class := Classify(err)
			if code != tc.wantCode || class != tc.wantClass {
				t.Errorf("Classify = %q, %v; want %q, %v (error: %v)", code, class, tc.wantCode, tc.wantClass, err)
			}
		})
	}
}
