package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	c := Credentials{
		AccessKeyID:     "ASIAEXAMPLEEXAMPLE12",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
		SessionToken:    "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN",
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "creds", c)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "creds", c)
	printed := []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c),
		fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", struct{ C Credentials }{c}), logs.String(),
	}
	for _, p := range printed {
		for _, secret := range []string{c.SecretAccessKey, c.SessionToken, c.AccessKeyID} {
			if strings.Contains(p, secret) {
				t.Errorf("printed a secret: %s", p)
			}
		}
	}
	if !strings.Contains(printed[0], "ASIA…LE12") || !strings.Contains(printed[0], "2030-01-02T03:04:05Z") {
		t.Errorf("String() = %q, want the redacted key id and the expiry", printed[0])
	}
	b, err := json.Marshal(struct{ C Credentials }{c})
	if err != nil || bytes.Contains(b, []byte(c.SecretAccessKey)) || bytes.Contains(b, []byte(c.SessionToken)) {
		t.Errorf("json.Marshal = %s, %v; want the secrets redacted", b, err)
	}
}

func TestRedactKeyID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ASIAEXAMPLEEXAMPLE12": "ASIA…LE12",
		"short":                "*****",
		"":                     "",
	} {
		if got := RedactKeyID(in); got != want {
			t.Errorf("RedactKeyID(%q) = %q, want %q", in, got, want)
		}
	}
}
