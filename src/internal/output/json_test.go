package output

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

func TestWriteJSON_golden(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := WriteJSON(&out, fakeCredentials()); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	goldentest.Check(t, "credential_process.golden.json", out.Bytes())

	// The document must read back as the AWS CLI reads it.
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	want := map[string]any{
		"Version":         1.0,
		"AccessKeyId":     fakeKeyID,
		"SecretAccessKey": fakeSecret,
		"SessionToken":    fakeToken,
		"Expiration":      "2026-11-26T08:00:00Z",
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name    string
		creds   exchange.Credentials
		want    string
		wantErr bool
	}{
		{
			name:  "no_expiration_leaves_it_out",
			creds: exchange.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"},
			want:  `{"Version":1,"AccessKeyId":"AKIA1","SecretAccessKey":"s"}` + "\n",
		},
		{
			name: "characters_html_would_escape",
			creds: exchange.Credentials{
				AccessKeyID: "A", SecretAccessKey: "a<b>&c", SessionToken: "t",
				Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			},
			want: `{"Version":1,"AccessKeyId":"A","SecretAccessKey":"a\u003cb\u003e\u0026c","SessionToken":"t","Expiration":"2026-01-02T03:04:05Z"}` + "\n",
		},
		{name: "no_key_id", creds: exchange.Credentials{SecretAccessKey: fakeSecret}, wantErr: true},
		{name: "no_secret", creds: exchange.Credentials{AccessKeyID: fakeKeyID, SessionToken: fakeToken}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := WriteJSON(&out, tc.creds)
			if tc.wantErr {
				if err == nil {
					t.Fatal("WriteJSON accepted incomplete credentials")
				}
				if out.Len() != 0 {
					t.Errorf("WriteJSON wrote %d bytes before refusing", out.Len())
				}
				assertNoSecret(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSON_write_error(t *testing.T) {
	t.Parallel()
	err := WriteJSON(failingWriter{}, fakeCredentials())
	if err == nil {
		t.Fatal("WriteJSON ignored the write error")
	}
	assertNoSecret(t, "error", err.Error())
}
