package filetests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mixedRoles = `
- name: prod
  role_arn: arn:aws:iam::111111111111:role/deploy
  prefix: PROD_
- name: audit
  role_arn: arn:aws:iam::333333333333:role/readonly
  profile: audit
`

// TestLastOutputBrokenLeavesNothing breaks the last output of a run with
// several, one case for each kind of output, and checks that nothing at all
// was written: no file made, changed or left behind, in the job's folder
// and in the runner's. A file output that cannot be written is found
// before STS is called; stdout, written last, is found broken only at the
// end, and every output written before it is put back.
func TestLastOutputBrokenLeavesNothing(t *testing.T) {
	t.Parallel()
	type env struct {
		j      *job
		runner string // GitHub's runner folder, outside the job's
	}
	github := func(e env, envFile, outFile string) {
		e.j.env["GITHUB_ACTIONS"] = "true"
		e.j.env["GITHUB_ENV"] = envFile
		e.j.env["GITHUB_OUTPUT"] = outFile
	}
	existingGitHub := func(t *testing.T, e env) {
		write(t, filepath.Join(e.runner, "env"), "EARLIER=1\n")
		write(t, filepath.Join(e.runner, "out"), "earlier=1\n")
		github(e, filepath.Join(e.runner, "env"), filepath.Join(e.runner, "out"))
	}
	cases := []struct {
		name string
		// setup prepares the files and returns the arguments after
		// --sts-endpoint.
		setup     func(t *testing.T, e env) []string
		brokenOut bool
		wantCode  int
		wantMsg   string
		// beforeSTS: the failure is found before any STS call.
		beforeSTS bool
	}{
		{
			// Issue 11's bug: aws.env was written, then exit 1.
			name: "dotenv_then_github_output_in_missing_folder",
			setup: func(t *testing.T, e env) []string {
				write(t, filepath.Join(e.runner, "env"), "EARLIER=1\n")
				github(e, filepath.Join(e.runner, "env"), filepath.Join(e.runner, "missing", "out"))
				return []string{"--output", "dotenv,github"}
			},
			wantCode: 2, wantMsg: "GITHUB_OUTPUT", beforeSTS: true,
		},
		{
			name: "dotenv_then_github_env_is_a_folder",
			setup: func(t *testing.T, e env) []string {
				github(e, e.runner, filepath.Join(e.runner, "out"))
				return []string{"--output", "dotenv,github"}
			},
			wantCode: 2, wantMsg: "GITHUB_ENV", beforeSTS: true,
		},
		{
			name: "token_file_then_github_env_in_missing_folder",
			setup: func(t *testing.T, e env) []string {
				github(e, filepath.Join(e.runner, "missing", "env"), filepath.Join(e.runner, "out"))
				return []string{"--output", "token-file,github"}
			},
			wantCode: 2, wantMsg: "GITHUB_ENV", beforeSTS: true,
		},
		{
			name: "roles_prefix_then_profile_whose_folder_cannot_be_made",
			setup: func(t *testing.T, e env) []string {
				write(t, filepath.Join(e.j.dir, "roles.yml"), mixedRoles)
				write(t, filepath.Join(e.j.dir, "blocked"), "a file, not a folder\n")
				return []string{"--roles", "roles.yml", "--output", "dotenv", "--aws-config-file", "blocked/config"}
			},
			wantCode: 2, wantMsg: "blocked", beforeSTS: true,
		},
		{
			name: "roles_dotenv_github_then_profile_file_unreadable_as_ours",
			setup: func(t *testing.T, e env) []string {
				existingGitHub(t, e)
				write(t, filepath.Join(e.j.dir, "roles.yml"), mixedRoles)
				write(t, filepath.Join(e.j.dir, ".aws-oidc", "credentials"), "[ audit ]\naws_access_key_id = OLD\n")
				return []string{"--roles", "roles.yml", "--output", "dotenv,github"}
			},
			wantCode: 2, wantMsg: "[ audit ]",
		},
		{
			name: "github_shell_then_dotenv_existing_file_invalid",
			setup: func(t *testing.T, e env) []string {
				existingGitHub(t, e)
				write(t, filepath.Join(e.j.dir, "aws.env"), "# a comment GitLab rejects\n")
				return []string{"--output", "github,shell,dotenv"}
			},
			wantCode: 2, wantMsg: "aws.env",
		},
		{
			name: "github_then_token_file_path_is_a_folder",
			setup: func(t *testing.T, e env) []string {
				existingGitHub(t, e)
				if err := os.MkdirAll(filepath.Join(e.j.dir, "token"), 0o700); err != nil {
					t.Fatal(err)
				}
				return []string{"--output", "github,token-file", "--token-output-file", "token"}
			},
			wantCode: 2, wantMsg: "directory", beforeSTS: true,
		},
		{
			name: "dotenv_then_powershell_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				return []string{"--output", "dotenv,powershell"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
		{
			// Issue 14 §2: killed by SIGPIPE after aws.env was written.
			name: "dotenv_then_shell_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				return []string{"--output", "dotenv,shell"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
		{
			name: "dotenv_merged_then_json_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				write(t, filepath.Join(e.j.dir, "aws.env"), "OTHER_STEP=kept\n")
				return []string{"--output", "dotenv,json"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
		{
			// The masks go to stdout: GITHUB_ENV and GITHUB_OUTPUT are cut back.
			name: "dotenv_github_masks_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				existingGitHub(t, e)
				return []string{"--output", "dotenv,github"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
		{
			// The token file's folder was made for this run: it goes too.
			name: "token_file_exports_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				return []string{"--output", "token-file"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
		{
			name: "roles_profile_dotenv_then_shell_to_closed_stdout",
			setup: func(t *testing.T, e env) []string {
				write(t, filepath.Join(e.j.dir, "roles.yml"), mixedRoles)
				write(t, filepath.Join(e.j.dir, ".aws-oidc", "config"), "[profile other]\nregion = kept\n")
				write(t, filepath.Join(e.j.dir, ".aws-oidc", "credentials"), "[other]\naws_access_key_id = KEPT\n")
				return []string{"--roles", "roles.yml", "--output", "dotenv,shell"}
			},
			brokenOut: true, wantCode: 1, wantMsg: "stdout",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := env{j: newJob(t), runner: t.TempDir()}
			extra := tc.setup(t, e)
			args := []string{"assume", "--sts-endpoint", e.j.sts.URL}
			if !strings.Contains(strings.Join(extra, " "), "--roles") {
				args = append(args, "--role-arn", roleARN)
			}
			args = append(args, extra...)
			before := snapshot(t, e.j.dir, e.runner)
			var stdout *os.File
			if tc.brokenOut {
				stdout = closedPipe(t)
			}
			r := e.j.run(t, stdout, args...)
			if r.Signaled {
				t.Fatalf("aws-oidc was killed by a signal")
			}
			if r.Code != tc.wantCode {
				t.Errorf("exit %d, want %d", r.Code, tc.wantCode)
			}
			if !strings.Contains(r.Stderr, tc.wantMsg) {
				t.Errorf("stderr does not name %q", tc.wantMsg)
			}
			if r.Stdout != "" {
				t.Errorf("stdout holds %d bytes after a failure", len(r.Stdout))
			}
			assertUnchanged(t, before, snapshot(t, e.j.dir, e.runner))
			if n := len(e.j.sts.Requests()); tc.beforeSTS && n > 0 {
				t.Errorf("STS was called %d times before a configuration error was found", n)
			}
		})
	}
}
