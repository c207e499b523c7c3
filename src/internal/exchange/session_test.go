package exchange

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "", want: time.Hour},
		{in: "3600", want: time.Hour},
		{in: "1h", want: time.Hour},
		{in: "900", want: 15 * time.Minute},
		{in: "15m", want: 15 * time.Minute},
		{in: "43200", want: 12 * time.Hour},
		{in: "12h", want: 12 * time.Hour},
		{in: " 90m ", want: 90 * time.Minute},
		{in: "0", wantErr: "out of range"},
		{in: "-3600", wantErr: "out of range"},
		{in: "899", wantErr: "out of range"},
		{in: "43201", wantErr: "out of range"},
		{in: "1y", wantErr: "neither whole seconds"},
		{in: "99999999999999999999999", wantErr: "neither whole seconds"},
		{in: "9223372036854775807", wantErr: "out of range"},
		{in: "1h0.5s", wantErr: "whole number of seconds"},
		{in: "-1h", wantErr: "out of range"},
		{in: "1 h", wantErr: "neither whole seconds"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tc.in)
			checkErr(t, err, tc.wantErr, "duration")
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSessionName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in        string
		want      string
		rewritten bool
	}{
		{in: "GitLabRunner-42-1234-5678", want: "GitLabRunner-42-1234-5678"},
		{in: "a+b=c,d.e@f_g-h", want: "a+b=c,d.e@f_g-h"},
		{in: "deploy main", want: "deploy-main", rewritten: true},
		{in: "x", want: "x_", rewritten: true},
		{in: "", want: "__", rewritten: true},
		{in: strings.Repeat("a", 70), want: strings.Repeat("a", 64), rewritten: true},
		{in: "$(id)`whoami`", want: "--id--whoami-", rewritten: true},
		{in: "é", want: "-_", rewritten: true},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			got, rewritten := SessionName(tc.in)
			if got != tc.want || rewritten != tc.rewritten {
				t.Errorf("SessionName(%q) = %q, %v; want %q, %v", tc.in, got, rewritten, tc.want, tc.rewritten)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"3600", "1h", "899", "43201", "1y", "-1", "1h30m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && (d < MinDuration || d > MaxDuration || d%time.Second != 0) {
			t.Errorf("ParseDuration(%q) = %v, out of STS's range", s, d)
		}
	})
}
