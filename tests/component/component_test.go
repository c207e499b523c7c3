package component

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gitlab.com/aws-oidc/aws-oidc/tests/e2e"
	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// gclVersion is pinned: later gitlab-ci-local releases need Node 22.
const gclVersion = "4.73.0"

// bin holds aws-oidc and fake-gitlab, built once by TestMain.
var bin harness.Binaries

func TestMain(m *testing.M) { harness.Main(m, &bin, nil) }

// gitlabCILocal finds the pinned gitlab-ci-local that install.sh caches. As
// with the peers, a missing tool fails the test: CI must never pass by
// skipping; AWS_OIDC_E2E_SKIP_MISSING=1 makes it a skip for quick local runs.
func gitlabCILocal(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AWS_OIDC_GCL_DIR")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			cache = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		dir = filepath.Join(cache, "aws-oidc", "gitlab-ci-local-"+gclVersion)
	}
	path := filepath.Join(dir, "node_modules", ".bin", "gitlab-ci-local")
	var missing []string
	if _, err := os.Stat(path); err != nil {
		missing = append(missing, "gitlab-ci-local "+gclVersion+" at "+path)
	}
	for _, tool := range []string{"node", "git", "rsync", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := "missing " + strings.Join(missing, ", ") + ": run tests/component/install.sh"
		if os.Getenv("AWS_OIDC_E2E_SKIP_MISSING") == "1" {
			t.Skip(msg + " (skipped because AWS_OIDC_E2E_SKIP_MISSING=1)")
		}
		t.Fatal(msg)
	}
	return path
}

// project lays out a scratch git repository the way the component's own
// project looks to gitlab-ci-local: templates/, the test pipeline as
// .gitlab-ci.yml, one commit, and an origin remote that names the project
// (gitlab-ci-local takes CI_PROJECT_PATH and CI_SERVER_FQDN from it). It is
// fresh, so no .gitlab-ci-local.yml, .gitlab-ci-local-env or variables file
// of anyone else's can be merged into the pipeline.
func project(t *testing.T, env []string, pipeline string, variables map[string]string, files ...projectFile) string {
	t.Helper()
	return projectAt(t, env, pipeline, variables, canonicalRemote, files...)
}

// projectFile is a file committed to the scratch project besides the
// pipeline and templates/.
type projectFile struct{ path, content string }

// canonicalRemote is the canonical project, whose registry the component's
// default image names.
const canonicalRemote = "https://gitlab.com/aws-oidc/aws-oidc.git"

// projectAt is project with the origin remote of a fork or mirror.
func projectAt(t *testing.T, env []string, pipeline string, variables map[string]string, remote string, files ...projectFile) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "aws-oidc")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, pipeline), filepath.Join(dir, ".gitlab-ci.yml"))
	templates, _ := filepath.Glob(filepath.Join(root, "templates", "*.yml"))
	for _, tpl := range templates {
		copyFile(t, tpl, filepath.Join(dir, "templates", filepath.Base(tpl)))
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.path), []byte(f.content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=Component Test", "-c", "user.email=component-test@example.com", "commit", "-q", "-m", "component under test"},
		{"remote", "add", "origin", remote},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The variables file stays out of the commit: gitlab-ci-local reads it
	// from the working directory; the token never appears on a command line.
	var b strings.Builder
	for k, v := range variables {
		fmt.Fprintf(&b, "%s: %q\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci-local-variables.yml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestComponentPipeline runs the component's test pipeline against one
// SeaweedFS bed: with a token the role trusts, and with one it does not.
func TestComponentPipeline(t *testing.T) {
	t.Parallel()
	gcl := gitlabCILocal(t)
	bin.Tool(t) // fail now, before the bed starts, if aws-oidc was not built
	leaks := harness.NewLeaks(t, nil)
	bed := e2e.StartSeaweedFS(t, leaks, bin, 40)

	t.Run("credentials_reach_later_jobs", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := bed.Mint(t, leaks, fakegitlab.Options{})
		dir, r := runPipeline(t, leaks, bed, gcl, token, "component-test")
		if r.ExitCode != 0 {
			t.Fatalf("the component pipeline failed (exit %d)", r.ExitCode)
		}
		checkPassed(t, r)
		checkReports(t, leaks, dir)
		// The profile job's files went with the component's after_script.
		if !regexp.MustCompile(`removed profiles ci from \S+/aws-home/config and \S+/aws-home/credentials`).MatchString(r.Stdout + r.Stderr) {
			t.Errorf("the credentials component's after_script did not remove the profile")
		}
		home := filepath.Join(dir, ".gitlab-ci-local", "aws-home")
		if entries, err := os.ReadDir(home); err != nil || len(entries) != 0 {
			t.Errorf("the profile job's folder %s: %v, %d entries left; want it there and empty", home, err, len(entries))
		}
	})

	t.Run("refused_token_hands_on_nothing", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		// A token of another project: the trust policy's sub condition fails.
		token := bed.Mint(t, leaks, fakegitlab.Options{ProjectPath: "othergroup/otherproject"})
		dir, r := runPipeline(t, leaks, bed, gcl, token, "component-refused")
		if r.ExitCode == 0 {
			t.Fatalf("the pipeline passed with a token the role does not trust")
		}
		for _, job := range []string{"assume-role", "assume-second", "use-hidden-job"} {
			if !regexp.MustCompile(`(?m)^\s*FAIL\s+` + regexp.QuoteMeta(job) + `\b`).MatchString(r.Stdout) {
				t.Errorf("job %s did not fail", job)
			}
		}
		if regexp.MustCompile(`(?m)^\s*PASS\s+use-credentials\b`).MatchString(r.Stdout) {
			t.Errorf("use-credentials ran without credentials")
		}
		// The job log names the token's sub, which the trust policy must match.
		if !strings.Contains(r.Stdout+r.Stderr, "project_path:othergroup/otherproject:ref_type:branch:ref:main") {
			t.Errorf("the job log does not show the token's sub")
		}
		for _, job := range []string{"assume-role", "assume-second"} {
			reports := filepath.Join(dir, ".gitlab-ci-local", "artifacts", job, ".gitlab-ci-reports", "dotenv")
			if entries, _ := os.ReadDir(reports); len(entries) > 0 {
				t.Errorf("job %s failed but left a dotenv report", job)
			}
		}
	})
}

// TestConsumerPipelines runs the component in pipelines as users really
// have them (issue 10), against one SeaweedFS bed: a default: the component's
// job must not inherit, a CI/CD variable AWS_REGION that must not override
// the region input, static keys in the CI/CD variables that would outrank
// the dotenv report, and jobs that extend .aws-oidc with a before_script of
// their own.
func TestConsumerPipelines(t *testing.T) {
	t.Parallel()
	gcl := gitlabCILocal(t)
	bin.Tool(t) // fail now, before the bed starts, if aws-oidc was not built
	leaks := harness.NewLeaks(t, nil)
	bed := e2e.StartSeaweedFS(t, leaks, bin, 41)

	t.Run("default_region_and_hidden_job", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := bed.Mint(t, leaks, fakegitlab.Options{})
		dir, r := runPipelineFile(t, leaks, bed, gcl, "tests/component/consumer.yml", token,
			map[string]string{"AWS_REGION": "eu-central-1"})
		for _, job := range []string{"assume-role", "assume-nested", "deploy", "hidden-with-reference"} {
			checkJob(t, r, job, "PASS")
		}
		// default: before_script (apk), services (Docker) and the rest stay
		// out of the component's job.
		assume := jobLog(t, dir, "assume-role")
		if strings.Contains(assume, "apk") {
			t.Errorf("the component's job ran the consumer's default before_script")
		}
		// The region input wins over the CI/CD variable, which is named.
		for _, want := range []string{
			`warning: AWS_REGION is "eu-central-1" in this job's environment, not "us-east-1" (the region input)`,
			"(us-east-1)",
		} {
			if !strings.Contains(assume, want) {
				t.Errorf("assume-role's log lacks %q", want)
			}
		}
		vars := readReport(t, leaks, dir, "assume-role", "aws.env")
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if vars[k] != "us-east-1" {
				t.Errorf("the report says %s=%q, want the region input us-east-1", k, vars[k])
			}
		}
		if !regexp.MustCompile(`deploy role: arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/`).MatchString(r.Stdout) {
			t.Errorf("deploy did not reach STS as the role")
		}
		// dotenv_file: ci/out/aws.env, a folder nobody created.
		readReport(t, leaks, dir, "assume-nested", "ci/out/aws.env")
		if !regexp.MustCompile(`nested role: arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/component-nested\b`).MatchString(r.Stdout) {
			t.Errorf("deploy did not reach STS with the report from ci/out/aws.env")
		}
		if !regexp.MustCompile(`hidden reference: arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/hidden-reference\b`).MatchString(r.Stdout) {
			t.Errorf("the job with !reference did not reach STS as the role")
		}
		// Without the assume step, the first AWS call names aws-oidc and the
		// fix; after_script, a new shell, says the same.
		fix := "The config profile (aws-oidc: no AWS credentials in this shell"
		own := jobLog(t, dir, "hidden-own-before-script")
		for _, want := range []string{fix, "!reference [.aws-oidc, before_script]"} {
			if !strings.Contains(own, want) {
				t.Errorf("hidden-own-before-script's log lacks %q", want)
			}
		}
		checkJob(t, r, "hidden-own-before-script", "WARN")
		ref := jobLog(t, dir, "hidden-with-reference")
		if !strings.Contains(ref, fix) || !strings.Contains(ref, "after_script has no credentials") {
			t.Errorf("after_script of hidden-with-reference did not explain the missing credentials")
		}
	})

	t.Run("static_keys_in_ci_variables", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		const staticID, staticSecret = "AKIAOLDSTATICKEY0001", "old/static/secret/key/from/the/settings/0001"
		leaks.Secret("static secret access key", staticSecret)
		token := bed.Mint(t, leaks, fakegitlab.Options{})
		dir, r := runPipelineFile(t, leaks, bed, gcl, "tests/component/static-keys.yml", token,
			map[string]string{"AWS_ACCESS_KEY_ID": staticID, "AWS_SECRET_ACCESS_KEY": staticSecret})
		for _, job := range []string{"assume-prefixed", "assume-allowed", "deploy", "hidden-job"} {
			checkJob(t, r, job, "PASS")
		}
		checkJob(t, r, "assume-role", "WARN")
		if !regexp.MustCompile(`(?m)^\s*assume-role\s+finished in .*WARN 2\b`).MatchString(r.Stdout + r.Stderr) {
			t.Errorf("assume-role did not exit with 2")
		}
		refused := jobLog(t, dir, "assume-role")
		for _, want := range []string{
			"error: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are already set in this job's environment",
			"not over project, group, instance, or pipeline variables",
			"Settings > CI/CD > Variables",
			"set the variable_prefix input",
			"set the allow_existing_credentials input",
		} {
			if !strings.Contains(refused, want) {
				t.Errorf("assume-role's log lacks %q", want)
			}
		}
		if strings.Contains(refused, "AssumeRoleWithWebIdentity") || strings.Contains(refused, "token claims") {
			t.Errorf("assume-role read the token or called STS before refusing")
		}
		reports := filepath.Join(dir, ".gitlab-ci-local", "artifacts", "assume-role", ".gitlab-ci-reports", "dotenv")
		if entries, _ := os.ReadDir(reports); len(entries) > 0 {
			t.Errorf("assume-role refused but left a dotenv report")
		}
		if !strings.Contains(jobLog(t, dir, "assume-prefixed"), "warning: AWS_ACCESS_KEY_ID is set in this job's environment") {
			t.Errorf("assume-prefixed does not warn about the unprefixed static key")
		}
		if !strings.Contains(jobLog(t, dir, "assume-allowed"), "allowed by the allow_existing_credentials input") {
			t.Errorf("assume-allowed does not say what it let through")
		}
		readReport(t, leaks, dir, "assume-prefixed", "oidc.env")
		readReport(t, leaks, dir, "assume-allowed", "allowed.env")
		for _, want := range []string{
			`prefixed role: arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/`,
			`hidden job: arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/hidden-static\b`,
		} {
			if !regexp.MustCompile(want).MatchString(r.Stdout) {
				t.Errorf("pipeline output lacks %s", want)
			}
		}
	})
}

// checkJob checks the state gitlab-ci-local reports for job: PASS, WARN (a
// failure allowed by allow_failure) or FAIL.
func checkJob(t *testing.T, r e2e.Result, job, state string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^\s*` + state + `\s+` + regexp.QuoteMeta(job) + `\b`).MatchString(r.Stdout) {
		t.Errorf("job %s is not %s", job, state)
	}
}

// jobLog reads the log gitlab-ci-local kept of one job.
func jobLog(t *testing.T, dir, job string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ".gitlab-ci-local", "output", job+".log"))
	if err != nil {
		t.Errorf("no log of job %s: %v", job, err)
	}
	return string(data)
}

// readReport reads a job's dotenv report by GitLab's rules and adds its
// secrets to the leak scan.
func readReport(t *testing.T, leaks *harness.Leaks, dir, job, file string) map[string]string {
	t.Helper()
	path := filepath.Join(dir, ".gitlab-ci-local", "artifacts", job, ".gitlab-ci-reports", "dotenv", file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("job %s left no dotenv report: %v", job, err)
		return nil
	}
	vars, err := e2e.ParseDotenv(data)
	if err != nil {
		t.Errorf("job %s: GitLab would refuse its dotenv report: %v", job, err)
		return nil
	}
	for k, v := range vars {
		if strings.HasSuffix(k, "AWS_SECRET_ACCESS_KEY") || strings.HasSuffix(k, "AWS_SESSION_TOKEN") {
			leaks.Secret(job+" "+k, v)
		}
	}
	return vars
}

// runPipeline lays out the test project with the token and runs its
// pipeline under gitlab-ci-local in the bed's namespace.
func runPipeline(t *testing.T, leaks *harness.Leaks, bed *e2e.Bed, gcl, token, bucket string) (string, e2e.Result) {
	t.Helper()
	return runPipelineFile(t, leaks, bed, gcl, "tests/component/pipeline.yml", token, map[string]string{"TEST_BUCKET": bucket})
}

// runPipelineFile runs one of the test pipelines with the token and the bed
// in .gitlab-ci-local-variables.yml, plus vars: gitlab-ci-local ranks that
// file's variables above a job's own, as GitLab does project variables.
func runPipelineFile(t *testing.T, leaks *harness.Leaks, bed *e2e.Bed, gcl, pipeline, token string, vars map[string]string, files ...projectFile) (string, e2e.Result) {
	t.Helper()
	// The real binary first on PATH, then the system (node, git, rsync,
	// bash); nothing else of this machine's environment, and in particular
	// no GCL_* variable, which gitlab-ci-local would read as an option.
	env := e2e.Env(e2e.BaseEnv(t.TempDir()), "PATH", filepath.Dir(bin.AWSOIDC)+":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
	variables := map[string]string{
		"AWS_OIDC_TOKEN":   token,
		"TEST_ROLE_ARN":    bed.Roles.Deploy,
		"TEST_ACCOUNT":     strings.SplitN(bed.Roles.Deploy, ":", 6)[4],
		"TEST_AUDIENCE":    bed.Issuer.URL,
		"AWS_ENDPOINT_URL": bed.STS,
		// gitlab-ci-local says GITLAB_CI=false; a runner says true, and
		// aws-oidc's defaults (session name, log sections) follow it.
		"GITLAB_CI": "true",
	}
	for k, v := range vars {
		variables[k] = v
	}
	dir := project(t, env, pipeline, variables, files...)
	r := e2e.Run(t, leaks, e2e.Command{
		Name: "gitlab-ci-local", Path: gcl, Dir: dir, Env: env, NetNS: bed.NetNS,
		Args: []string{"--force-shell-executor", "--shell-isolation", "--no-color",
			"--maximum-includes", "10", "--ignore-predefined-vars", "GITLAB_CI"},
	})
	if testing.Verbose() {
		t.Logf("gitlab-ci-local stdout:\n%s\nstderr:\n%s", leaks.Redact(r.Stdout), leaks.Redact(r.Stderr))
	}
	return dir, r
}

// checkPassed checks that every job passed and that each consumer reached
// STS as the assumed role, with its own session.
func checkPassed(t *testing.T, r e2e.Result) {
	t.Helper()
	for _, job := range []string{"assume-role", "assume-second", "use-credentials", "use-hidden-job", "use-hidden-job-profile"} {
		if !regexp.MustCompile(`(?m)^\s*PASS\s+` + regexp.QuoteMeta(job) + `\b`).MatchString(r.Stdout) {
			t.Errorf("job %s did not pass", job)
		}
	}
	// SeaweedFS leaves the account out of GetCallerIdentity's ARN
	// (arn:aws:sts::assumed-role/...), unlike AWS: accept both shapes.
	arn := `arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/`
	for _, want := range []string{
		`first role: ` + arn + `GitLabRunner-\d+-\d+-\d+\b`,
		`second role: ` + arn + `component-second\b`,
		`hidden job: ` + arn + `component-hidden\b`,
		`profile job: ` + arn + `component-profile\b`,
		`\bhello\.txt\b`,
	} {
		if !regexp.MustCompile(want).MatchString(r.Stdout) {
			t.Errorf("pipeline output lacks %s", want)
		}
	}
}

// checkReports reads each dotenv report by GitLab's rules, since
// gitlab-ci-local parses them more leniently than GitLab, and adds their
// secrets to the leak scan of everything the pipeline printed.
func checkReports(t *testing.T, leaks *harness.Leaks, dir string) {
	t.Helper()
	for _, report := range []struct{ job, file, prefix string }{
		{"assume-role", "aws.env", ""},
		{"assume-second", "second.env", "SECOND_"},
	} {
		path := filepath.Join(dir, ".gitlab-ci-local", "artifacts", report.job, ".gitlab-ci-reports", "dotenv", report.file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("job %s left no dotenv report: %v", report.job, err)
			continue
		}
		vars, err := e2e.ParseDotenv(data)
		if err != nil {
			t.Errorf("job %s: GitLab would refuse its dotenv report: %v", report.job, err)
			continue
		}
		leaks.Secret(report.job+" secret access key", vars[report.prefix+"AWS_SECRET_ACCESS_KEY"])
		leaks.Secret(report.job+" session token", vars[report.prefix+"AWS_SESSION_TOKEN"])
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
			"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION"} {
			if vars[report.prefix+k] == "" {
				t.Errorf("job %s: dotenv report lacks %s", report.job, report.prefix+k)
			}
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("job %s: dotenv report has mode %v, want 0600", report.job, fi.Mode().Perm())
		}
	}
}

// TestProjectPipelineJobs reads the project's own .gitlab-ci.yml with
// gitlab-ci-local (which resolves its component includes at the commit, as
// GitLab does) and checks which jobs each kind of pipeline gets: the real-AWS
// component jobs only when the test role variable exists, the release jobs
// only on a semantic-version tag.
func TestProjectPipelineJobs(t *testing.T) {
	t.Parallel()
	gcl := gitlabCILocal(t)
	env := e2e.Env(e2e.BaseEnv(t.TempDir()), "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")

	base := []string{"lint", "unit", "schema", "binaries", "build-image"}
	component := []string{"component-assume", "component-assume-prefixed", "component-default-image", "component-use-credentials", "component-hidden-job"}
	forkComponent := []string{"component-assume", "component-assume-prefixed", "component-use-credentials", "component-hidden-job"}
	release := []string{"image-release", "sign", "publish-binaries", "release"}
	cases := []struct {
		name      string
		variables map[string]string
		remote    string
		want      []string
	}{
		{name: "branch_without_test_role", want: base},
		{
			name:      "branch_with_test_role",
			variables: map[string]string{"AWS_OIDC_TEST_ROLE_ARN": "arn:aws:iam::123456789012:role/aws-oidc-test"},
			want:      append(append([]string{}, base...), component...),
		},
		{
			// A fork's registry is not the default image's: no job for it.
			name:      "fork_with_test_role",
			variables: map[string]string{"AWS_OIDC_TEST_ROLE_ARN": "arn:aws:iam::123456789012:role/aws-oidc-test"},
			remote:    "https://gitlab.com/someone/aws-oidc.git",
			want:      append(append([]string{}, base...), forkComponent...),
		},
		{
			name:      "semver_tag",
			variables: map[string]string{"CI_COMMIT_TAG": "1.2.3"},
			want:      append(append([]string{}, base...), release...),
		},
		{name: "other_tag", variables: map[string]string{"CI_COMMIT_TAG": "nightly"}, want: base},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			leaks := harness.NewLeaks(t, nil)
			remote := tc.remote
			if remote == "" {
				remote = canonicalRemote
			}
			dir := projectAt(t, env, ".gitlab-ci.yml", tc.variables, remote)
			r := e2e.Run(t, leaks, e2e.Command{Name: "gitlab-ci-local --list", Path: gcl, Dir: dir, Env: env,
				Args: []string{"--list", "--no-color"}})
			if r.ExitCode != 0 {
				t.Fatalf("gitlab-ci-local could not read .gitlab-ci.yml (exit %d)", r.ExitCode)
			}
			if diff := cmp.Diff(tc.want, listedJobs(r.Stdout)); diff != "" {
				t.Errorf("jobs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// listedJobs reads the job names from `gitlab-ci-local --list`: the first
// column of every line after the header.
func listedJobs(out string) []string {
	var jobs []string
	header := false
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "name":
			header = true
		case header:
			jobs = append(jobs, fields[0])
		}
	}
	return jobs
}

// TestCIVariablesPipelines runs the component with variables that must not
// change its job (issue 10's outside review), against one SeaweedFS bed:
// variables: of .gitlab-ci.yml, inputs naming CI/CD variables the pipeline
// lacks, a committed dotenv_file, and CI/CD variables of the settings,
// which outrank every job variable.
func TestCIVariablesPipelines(t *testing.T) {
	t.Parallel()
	gcl := gitlabCILocal(t)
	bin.Tool(t) // fail now, before the bed starts, if aws-oidc was not built
	leaks := harness.NewLeaks(t, nil)
	bed := e2e.StartSeaweedFS(t, leaks, bin, 42)
	arn := `arn:aws:sts::([0-9]{12}:)?assumed-role/deploy/`

	t.Run("yaml_variables_unset_inputs_committed_report", func(t *testing.T) {
		leaks := harness.NewLeaks(t, leaks)
		token := bed.Mint(t, leaks, fakegitlab.Options{})
		dir, r := runPipelineFile(t, leaks, bed, gcl, "tests/component/ci-variables.yml", token, nil,
			projectFile{"committed.env", "DEPLOY_TARGET=prod\n"})
		// The LocalStack keys and the tool's own variables of .gitlab-ci.yml
		// stay out of the component's job: it passes, writes its report, and
		// the later job reaches STS with it.
		checkJob(t, r, "assume-role", "PASS")
		checkJob(t, r, "use-credentials", "PASS")
		vars := readReport(t, leaks, dir, "assume-role", "aws.env")
		if vars["AWS_REGION"] != "us-east-1" || vars["AWS_ACCESS_KEY_ID"] == "" || vars["AWS_ACCESS_KEY_ID"] == "test" {
			t.Errorf("assume-role's report: region %q, key id set %v", vars["AWS_REGION"], vars["AWS_ACCESS_KEY_ID"] != "")
		}
		if !regexp.MustCompile(`yaml variables role: ` + arn).MatchString(r.Stdout) {
			t.Errorf("use-credentials did not reach STS as the role")
		}
		assume := jobLog(t, dir, "assume-role")
		for _, never := range []string{"already set", "AWS_OIDC_PROFILE", "export AWS_"} {
			if strings.Contains(assume, never) {
				t.Errorf("assume-role's log holds %q", never)
			}
		}
		// An input naming a variable that is not set fails the job with
		// exit 2, naming the input and the variable, before STS.
		for _, c := range []struct{ job, want string }{
			{"assume-unset-accounts", "the allowed_accounts input is $PROD_ACCOUNT_IDS, which is empty or not set for this pipeline"},
			{"assume-unset-bucket", "the check_s3 input is $PROD_BUCKET, which is empty or not set for this pipeline"},
			{"assume-committed-report", `"committed.env" already exists before the job wrote it: the report would hand its DEPLOY_TARGET on`},
		} {
			checkJob(t, r, c.job, "WARN")
			if !regexp.MustCompile(`(?m)^\s*` + c.job + `\s+finished in .*WARN 2\b`).MatchString(r.Stdout + r.Stderr) {
				t.Errorf("%s did not exit with 2", c.job)
			}
			log := jobLog(t, dir, c.job)
			if !strings.Contains(log, c.want) {
				t.Errorf("%s's log lacks %q", c.job, c.want)
			}
			if strings.Contains(log, "token claims") {
				t.Errorf("%s read the token before refusing", c.job)
			}
		}
	})

	for _, c := range []struct {
		name     string
		settings map[string]string
		// refused is what the job log says when the job must fail; "" for
		// a job that passes with the role_arn input.
		refused string
		warn    string
	}{
		{name: "output_shell", settings: map[string]string{"AWS_OIDC_OUTPUT": "shell"},
			refused: `AWS_OIDC_OUTPUT is "shell" in this job, not "dotenv" as the component sets it`},
		{name: "profile", settings: map[string]string{"AWS_OIDC_PROFILE": "ci"},
			refused: "AWS_OIDC_PROFILE is set in this job"},
		{name: "role_arn", settings: map[string]string{"AWS_OIDC_ROLE_ARN": "arn:aws:iam::000000000000:role/other"},
			warn: "AWS_OIDC_ROLE_ARN is set in the CI/CD variables; the component ignores it and takes the role_arn input"},
		{name: "input_variable", settings: map[string]string{"AWS_OIDC_INPUT_ROLE_ARN": "arn:aws:iam::000000000000:role/other"},
			refused: "AWS_OIDC_INPUT_ROLE_ARN is not the role_arn input ($TEST_ROLE_ARN)"},
	} {
		t.Run("settings_"+c.name, func(t *testing.T) {
			leaks := harness.NewLeaks(t, leaks)
			token := bed.Mint(t, leaks, fakegitlab.Options{})
			dir, r := runPipelineFile(t, leaks, bed, gcl, "tests/component/ci-settings.yml", token, c.settings)
			log := jobLog(t, dir, "assume-role")
			if c.refused == "" {
				checkJob(t, r, "assume-role", "PASS")
				readReport(t, leaks, dir, "assume-role", "aws.env")
				if !regexp.MustCompile(`settings role: ` + arn).MatchString(r.Stdout) {
					t.Errorf("use-credentials did not reach STS as the role_arn input's role")
				}
				if !strings.Contains(log, c.warn) {
					t.Errorf("assume-role's log lacks %q", c.warn)
				}
				return
			}
			checkJob(t, r, "assume-role", "WARN")
			if !regexp.MustCompile(`(?m)^\s*assume-role\s+finished in .*WARN 2\b`).MatchString(r.Stdout + r.Stderr) {
				t.Errorf("assume-role did not exit with 2")
			}
			if !strings.Contains(log, c.refused) {
				t.Errorf("assume-role's log lacks %q", c.refused)
			}
			if strings.Contains(log, "token claims") || strings.Contains(log, "export AWS_") {
				t.Errorf("assume-role read the token or printed credentials")
			}
			reports := filepath.Join(dir, ".gitlab-ci-local", "artifacts", "assume-role", ".gitlab-ci-reports", "dotenv")
			if entries, _ := os.ReadDir(reports); len(entries) > 0 {
				t.Errorf("assume-role refused but left a dotenv report")
			}
		})
	}
}
