package e2e

import (
	"strings"
	"testing"
)

func TestParseDotenvFollowsGitLabRules(t *testing.T) {
	t.Parallel()
	var many string
	for i := 0; i < 21; i++ {
		many += "K" + string(rune('A'+i)) + "=v\n"
	}
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "valid", in: "AWS_REGION=us-east-1\nAWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"},
		{name: "blank_line", in: "A=1\n\nB=2\n", wantErr: "not KEY=VALUE"},
		{name: "trailing_blank_line", in: "A=1\n\n", wantErr: "not KEY=VALUE"},
		{name: "comment", in: "# creds\nA=1\n", wantErr: "not KEY=VALUE"},
		{name: "export_prefix", in: "export A=1\n", wantErr: "does not match"},
		{name: "quoted", in: "A=\"1\"\n", wantErr: "quoted"},
		{name: "dollar", in: "A=a$b\n", wantErr: "holds $"},
		{name: "space", in: "A=a b\n", wantErr: "whitespace"},
		{name: "bom", in: "\uFEFFA=1\n", wantErr: "BOM"},
		{name: "no_final_newline", in: "A=1", wantErr: "no final newline"},
		{name: "duplicate", in: "A=1\nA=2\n", wantErr: "twice"},
		{name: "too_many", in: many, wantErr: "at most 20"},
		{name: "too_big", in: "A=" + strings.Repeat("x", 5200) + "\n", wantErr: "under 5120"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseDotenv([]byte(tc.in))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ParseDotenv() = %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ParseDotenv() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
