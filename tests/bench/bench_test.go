//go:build bench

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/benchdoc"
	"gitlab.com/aws-oidc/aws-oidc/tests/e2e"
	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// Repetitions, overridable for a quick look: BENCH_RUNS=5 make bench.
var (
	runs       = envInt("BENCH_RUNS", 60)
	memRuns    = envInt("BENCH_MEM_RUNS", 7)
	startRuns  = envInt("BENCH_STARTUP_RUNS", 300)
	withImage  = os.Getenv("BENCH_IMAGE") != "0"
	sessionArg = "GitLabRunner-22-1001-2002"
)

const hyperfine = "/usr/bin/hyperfine"

// TestBench measures, prints the table and writes BENCHMARKS.md.
func TestBench(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	binary := os.Getenv("AWS_OIDC_BIN")
	if binary == "" {
		t.Fatal("AWS_OIDC_BIN must name the stripped binary of `make build`: run `make bench`")
	}
	for _, tool := range []string{hyperfine, "/usr/bin/time", e2e.AWSCLI, "/usr/bin/curl"} {
		if _, err := os.Stat(tool); err != nil {
			t.Fatalf("%s is missing: `make bench` installs hyperfine and time with apt-get", tool)
		}
	}
	leaks := harness.NewLeaks(t, nil)
	bins, err := harness.Build(t.TempDir())
	if err != nil || bins.AWSOIDCErr != nil {
		t.Fatalf("failed to build: %v %v", err, bins.AWSOIDCErr)
	}
	help, _ := exec.Command(bins.AWSOIDC, "assume", "--help").CombinedOutput()
	if !bytes.Contains(help, []byte("--roles")) {
		t.Fatal("aws-oidc assume has no --roles: the many-roles figures need it")
	}
	maxParallel := "?"
	if m := regexp.MustCompile(`--max-parallel .*\(default: (\d+)\)`).FindSubmatch(help); m != nil {
		maxParallel = string(m[1])
	}

	b := e2e.StartSeaweedFS(t, leaks, bins, 50)
	work := t.TempDir()
	token := b.Mint(t, leaks, fakegitlab.Options{Lifetime: 3 * time.Hour})
	tokenFile := filepath.Join(work, "token")
	must(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	env := e2e.Env(e2e.JobEnv(filepath.Join(work, "home"), token), "AWS_REGION", "us-east-1")
	must(t, os.MkdirAll(filepath.Join(work, "home"), 0o700))
	h := &runner{t: t, ns: b.NetNS, env: env, dir: work, leaks: leaks}
	h.prioritise()

	// The three ways to credentials, each a whole process from start to
	// credentials in hand.
	dotenv := filepath.Join(work, "aws.env")
	ours := []string{bins.AWSOIDC, "assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", b.STS, "--dotenv-file", dotenv}
	// The image's binary is built with other flags (see imageBuild); it is
	// what the component's jobs run, so it is measured too.
	imageBinary, imageFlags := imageBuild(t, root)
	oursImage := append([]string{imageBinary}, ours[1:]...)
	snippetPath := filepath.Join(work, "snippet.sh")
	must(t, os.WriteFile(snippetPath, []byte(snippet(b.Roles.Deploy, b.STS)), 0o600))
	snippetCmd := []string{"/bin/sh", snippetPath}
	curlOut := filepath.Join(work, "curl.xml")
	curl := []string{"/usr/bin/curl", "-sS", "-f", "-o", curlOut,
		"--data-urlencode", "Action=AssumeRoleWithWebIdentity", "--data-urlencode", "Version=2011-06-15",
		"--data-urlencode", "RoleArn=" + b.Roles.Deploy, "--data-urlencode", "RoleSessionName=" + sessionArg,
		"--data-urlencode", "DurationSeconds=3600", "--data-urlencode", "WebIdentityToken@" + tokenFile, b.STS + "/"}

	r := &report{Peer: "SeaweedFS " + peerVersion(t) + " (`weed mini`, STS and S3 on plain-http loopback in a network namespace; fake GitLab issuer on loopback)",
		Runs: runs, MemRuns: memRuns, StartRuns: startRuns, MaxParallel: maxParallel}
	// The same run printing shell exports instead of writing aws.env:
	// what the durable write (fsync of the file and its folder) costs.
	oursShell := append(append([]string{}, ours[:len(ours)-2]...), "--output", "shell")
	contenders := []named{{"aws-oidc assume (make build)", ours}, {"aws-oidc assume (image build)", oursImage},
		{"guide snippet (aws CLI)", snippetCmd}, {"curl POST (floor)", curl},
		{"aws-oidc assume --output shell (make build, no file)", oursShell}}
	r.Time = h.hyperfine("time to credentials", runs, 3, []string{"/bin/rm", "-f", dotenv, curlOut}, contenders...)
	// hyperfine's prepare removed the last outputs: one more run of each,
	// untimed, to prove the timed commands do the whole work.
	h.run("aws-oidc assume", time.Minute, ours...)
	h.run("curl", time.Minute, curl...)
	h.checkOutputs(dotenv, curlOut)

	// Not the shell variant: its stdout holds credentials by design.
	for _, c := range contenders[:4] {
		r.Memory = append(r.Memory, h.peakRSS(c, memRuns, func() { os.Remove(dotenv); os.Remove(curlOut) }))
	}

	// The same three over https, as real STS is: an https front of ours
	// (tests/faultproxy, passing everything) before the peer, trusted by
	// each client through its own setting.
	front, caFile := httpsFront(t, leaks, b, bins, work)
	h.prioritise()
	hs := &runner{t: t, ns: b.NetNS, env: e2e.Env(env, "AWS_CA_BUNDLE", caFile), dir: work, leaks: leaks}
	snippetHTTPS := filepath.Join(work, "snippet-https.sh")
	must(t, os.WriteFile(snippetHTTPS, []byte(snippet(b.Roles.Deploy, front)), 0o600))
	curlHTTPS := append(append([]string{}, curl[:len(curl)-1]...), "--cacert", caFile, front+"/")
	r.HTTPS = hs.hyperfine("time to credentials over https", runs, 3, []string{"/bin/rm", "-f", dotenv, curlOut},
		named{"aws-oidc assume (make build)", append(append([]string{}, ours[:4]...), "--sts-endpoint", front, "--dotenv-file", dotenv)},
		named{"guide snippet (aws CLI)", []string{"/bin/sh", snippetHTTPS}},
		named{"curl POST (floor)", curlHTTPS},
		// aws-oidc reads the system's one CA bundle (package httpclient); with
		// SSL_CERT_DIR set it also parses every file of that folder, as
		// crypto/x509 does on Linux: the cost avoided.
		named{"aws-oidc assume (make build, every file of the CA folder: SSL_CERT_DIR=/etc/ssl/certs, via env)", append([]string{"/usr/bin/env", "SSL_CERT_DIR=/etc/ssl/certs"},
			append(append([]string{}, ours[:4]...), "--sts-endpoint", front, "--dotenv-file", dotenv)...)})

	// Many roles from one token, written as profiles (50 roles' variables
	// would not fit a dotenv report).
	var many []named
	var cleanup []string
	for _, n := range []int{1, 10, 50} {
		d := filepath.Join(work, fmt.Sprintf("roles-%d", n))
		must(t, os.MkdirAll(d, 0o700))
		file := filepath.Join(d, "roles.json")
		must(t, os.WriteFile(file, rolesFile(n, b.Roles.Deploy, b.Roles.Readonly), 0o600))
		config, creds := filepath.Join(d, "config"), filepath.Join(d, "credentials")
		cleanup = append(cleanup, config, creds)
		many = append(many, named{fmt.Sprintf("%d role(s)", n), []string{bins.AWSOIDC, "assume", "--roles", file, "--sts-endpoint", b.STS,
			"--aws-config-file", config, "--aws-credentials-file", creds}})
	}
	r.Many = h.hyperfine("many roles", runs, 2, append([]string{"/bin/rm", "-f"}, cleanup...), many...)
	h.checkProfiles(filepath.Join(work, "roles-50", "credentials"), 50)

	r.Startup = h.hyperfine("start-up", startRuns, 20, nil, named{"aws-oidc version (make build)", []string{bins.AWSOIDC, "version"}},
		named{"aws-oidc version (image build)", []string{imageBinary, "version"}})
	r.Inits = initCosts(t, bins.AWSOIDC)
	r.Hello = h.hyperfine("start-up floor: a Go hello world built the same way", startRuns, 20, nil,
		named{"hello world", []string{helloWorld(t)}})[0]

	r.Sizes = sizes(t, root, binary)
	r.ImageFlags = imageFlags
	if info, err := os.Stat(imageBinary); err == nil {
		r.Sizes.ImageBinary = info.Size()
	}
	r.S3Symbols = s3Share(t, root)
	r.Machine = machine()
	r.Date = time.Now().UTC().Format("2006-01-02 15:04 UTC")

	table := r.table()
	fmt.Println()
	fmt.Println(table)
	out := filepath.Join(root, "BENCHMARKS.md")
	// The sections of `make bench-load` and `make bench-sim` are theirs.
	must(t, os.WriteFile(out, []byte(benchdoc.KeepSections(r.markdown(table), out)), 0o644))
	fmt.Printf("wrote %s\n", out)
}

// snippet is GitLab's guide's job script, with the endpoint of the peer.
// The token comes from the job's variable, as in the guide.
func snippet(roleARN, endpoint string) string {
	return `set -e
export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" \
  $(/usr/bin/aws sts assume-role-with-web-identity \
  --endpoint-url ` + endpoint + ` \
  --role-arn ` + roleARN + ` \
  --role-session-name "GitLabRunner-${CI_PROJECT_ID}-${CI_PIPELINE_ID}-${CI_JOB_ID}" \
  --web-identity-token "${GITLAB_OIDC_TOKEN}" \
  --duration-seconds 3600 \
  --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
  --output text))
test -n "$AWS_SESSION_TOKEN"
`
}

func rolesFile(n int, arns ...string) []byte {
	var entries []map[string]string
	for i := range n {
		entries = append(entries, map[string]string{"name": fmt.Sprintf("r%d", i+1),
			"role_arn": arns[i%len(arns)], "profile": fmt.Sprintf("p%d", i+1)})
	}
	data, _ := json.Marshal(entries)
	return data
}

type named struct {
	name string
	argv []string
}

// runner runs measurements inside the peer's namespace with the job's
// environment; every output goes through the leak scanner.
type runner struct {
	t     *testing.T
	ns    string
	env   []string
	dir   string
	leaks *harness.Leaks
}

// stats are one command's timings.
type stats struct {
	Name                                   string
	Runs                                   int
	Median, Mean, Stddev, Min, Max, Q1, Q3 time.Duration
}

func (h *runner) run(name string, timeout time.Duration, argv ...string) (string, string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/sbin/ip", append([]string{"netns", "exec", h.ns, "/usr/bin/nice", "-n", niceness}, argv...)...)
	cmd.Env, cmd.Dir = h.env, h.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	h.leaks.Output(name+" stdout", stdout.String())
	h.leaks.Output(name+" stderr", stderr.String())
	if err != nil {
		h.t.Fatalf("%s failed: %v\n%s\n%s", name, err, h.leaks.Redact(stdout.String()), h.leaks.Redact(stderr.String()))
	}
	return stdout.String(), stderr.String()
}

// niceness is the priority of the peer and of every measured process: on a
// machine shared with other work (CI runners, other test suites) the
// measurement is then disturbed less by it.
const niceness = "-10"

// prioritise raises the priority of the bed's servers, by their PIDs in the
// namespace (the peer and the fake issuer, both started by this test).
func (h *runner) prioritise() {
	h.t.Helper()
	out, err := exec.Command("/usr/sbin/ip", "netns", "pids", h.ns).Output()
	if err != nil {
		h.t.Fatalf("ip netns pids: %v", err)
	}
	for _, pid := range strings.Fields(string(out)) {
		if msg, err := exec.Command("/usr/bin/renice", "-n", niceness, "-p", pid).CombinedOutput(); err != nil {
			h.t.Fatalf("renice %s: %v\n%s", pid, err, msg)
		}
	}
}

// rounds is how many times each hyperfine comparison is repeated; the runs
// of all rounds are pooled. On a machine whose load drifts (other work),
// rounds spread each command's runs over the whole measurement instead of
// one stretch of it, so a busy minute does not land on one command only.
const rounds = 3

// hyperfine measures the commands side by side, without a shell between
// them and the clock, n runs of each split over the rounds.
func (h *runner) hyperfine(label string, n, warmup int, prepare []string, cmds ...named) []stats {
	h.t.Helper()
	per := max(1, n/rounds)
	times := make([][]float64, len(cmds))
	for round := 1; round <= rounds; round++ {
		jsonPath := filepath.Join(h.dir, "hyperfine.json")
		args := []string{hyperfine, "-N", "--style", "basic", "--runs", strconv.Itoa(per), "--warmup", strconv.Itoa(warmup), "--export-json", jsonPath}
		if prepare != nil {
			args = append(args, "--prepare", quote(prepare))
		}
		for _, c := range cmds {
			args = append(args, "-n", c.name, quote(c.argv))
		}
		fmt.Printf("\n== %s, round %d of %d: %d runs of each, %d warm-up\n", label, round, rounds, per, warmup)
		stdout, _ := h.run("hyperfine "+label, 30*time.Minute, args...)
		fmt.Print(h.leaks.Redact(stdout))
		data, err := os.ReadFile(jsonPath)
		if err != nil {
			h.t.Fatal(err)
		}
		var out struct {
			Results []struct {
				Times []float64 `json:"times"`
			} `json:"results"`
		}
		if err := json.Unmarshal(data, &out); err != nil {
			h.t.Fatal(err)
		}
		if len(out.Results) != len(cmds) {
			h.t.Fatalf("hyperfine reported %d results for %d commands", len(out.Results), len(cmds))
		}
		for i, r := range out.Results {
			times[i] = append(times[i], r.Times...)
		}
	}
	res := make([]stats, len(cmds))
	for i, c := range cmds {
		res[i] = summarise(c.name, times[i])
	}
	return res
}

// summarise computes the figures of one command's pooled run times (s).
func summarise(name string, times []float64) stats {
	t := slices.Clone(times)
	sort.Float64s(t)
	var sum, sq float64
	for _, v := range t {
		sum += v
	}
	mean := sum / float64(len(t))
	for _, v := range t {
		sq += (v - mean) * (v - mean)
	}
	sd := 0.0
	if len(t) > 1 {
		sd = math.Sqrt(sq / float64(len(t)-1))
	}
	return stats{Name: name, Runs: len(t), Median: secs(quantile(t, 0.5)), Mean: secs(mean), Stddev: secs(sd),
		Min: secs(t[0]), Max: secs(t[len(t)-1]), Q1: secs(quantile(t, 0.25)), Q3: secs(quantile(t, 0.75))}
}

// memory is one command's peak resident set size over several runs, in KiB.
type memory struct {
	Name             string
	Median, Min, Max int64
}

var maxRSS = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// peakRSS runs c under GNU time n times. For the snippet, time reports the
// largest process of the tree (the aws CLI's Python), not the sum.
func (h *runner) peakRSS(c named, n int, reset func()) memory {
	h.t.Helper()
	var kb []int64
	for range n {
		reset()
		_, stderr := h.run("time -v "+c.name, 5*time.Minute, append([]string{"/usr/bin/time", "-v"}, c.argv...)...)
		m := maxRSS.FindStringSubmatch(stderr)
		if m == nil {
			h.t.Fatalf("no maximum resident set size in GNU time's output for %s", c.name)
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		kb = append(kb, v)
	}
	slices.Sort(kb)
	return memory{Name: c.name, Median: kb[len(kb)/2], Min: kb[0], Max: kb[len(kb)-1]}
}

// checkOutputs proves the timed commands did the work: a valid dotenv
// report, and STS credentials in curl's answer (registered as secrets, so
// the scan covers them too).
func (h *runner) checkOutputs(dotenv, curlOut string) {
	h.t.Helper()
	data, err := os.ReadFile(dotenv)
	if err != nil {
		h.t.Fatalf("aws-oidc wrote no dotenv: %v", err)
	}
	vars, err := e2e.ParseDotenv(data)
	if err != nil {
		h.t.Fatalf("the dotenv is invalid: %v", err)
	}
	h.leaks.Secret("secret access key", vars["AWS_SECRET_ACCESS_KEY"])
	h.leaks.Secret("session token", vars["AWS_SESSION_TOKEN"])
	xml, err := os.ReadFile(curlOut)
	if err != nil {
		h.t.Fatalf("curl wrote no answer: %v", err)
	}
	for _, m := range regexp.MustCompile(`<(?:SecretAccessKey|SessionToken)>([^<]+)<`).FindAllSubmatch(xml, -1) {
		h.leaks.Secret("credential in curl's answer", string(m[1]))
	}
	if !bytes.Contains(xml, []byte("<SessionToken>")) {
		h.t.Fatalf("curl's answer holds no credentials")
	}
}

func (h *runner) checkProfiles(credentials string, n int) {
	h.t.Helper()
	data, err := os.ReadFile(credentials)
	if err != nil {
		h.t.Fatalf("--roles wrote no credentials file: %v", err)
	}
	if got := bytes.Count(data, []byte("aws_session_token")); got != n {
		h.t.Fatalf("credentials file holds %d profiles, want %d", got, n)
	}
	for _, m := range regexp.MustCompile(`(?m)^aws_(?:secret_access_key|session_token)\s*=\s*(\S+)`).FindAllSubmatch(data, -1) {
		h.leaks.Secret("credential in a profile", string(m[1]))
	}
}

// size figures, in bytes.
type size struct {
	Binary int64
	// ImageBinary is the binary as the Dockerfile builds it.
	ImageBinary int64
	// Image is the gzip -9 compressed image as CI pushes it (0: not built);
	// ImageZstd with zstd -19.
	Image, ImageZstd int64
	// AWSCLI is the awscli package alone; Closure adds every package it
	// depends on; ClosureBeyondBase leaves out Debian's required and
	// important packages, present in any Debian image.
	AWSCLI, Closure, ClosureBeyondBase int64
	ClosurePackages                    int
}

var imageSize = regexp.MustCompile(`compressed size: (\d+) bytes \([^)]*\) with gzip -9.*; (\d+) bytes`)

func sizes(t *testing.T, root, binary string) size {
	t.Helper()
	var s size
	info, err := os.Stat(binary)
	if err != nil {
		t.Fatal(err)
	}
	s.Binary = info.Size()
	if withImage {
		fmt.Println("\n== image: make image")
		cmd := exec.Command("make", "--no-print-directory", "image")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		fmt.Print(string(out))
		if err != nil {
			t.Fatalf("make image failed: %v", err)
		}
		m := imageSize.FindSubmatch(out)
		if m == nil {
			t.Fatal("make image printed no compressed size")
		}
		s.Image, _ = strconv.ParseInt(string(m[1]), 10, 64)
		s.ImageZstd, _ = strconv.ParseInt(string(m[2]), 10, 64)
	}

	out, err := exec.Command("apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "awscli").Output()
	if err != nil {
		t.Fatalf("apt-cache depends awscli: %v", err)
	}
	pkgs := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "<") {
			pkgs[line] = true
		}
	}
	args := []string{"-W", "-f", "${Package}\t${Installed-Size}\t${Priority}\n"}
	for p := range pkgs {
		args = append(args, p)
	}
	out, err = exec.Command("dpkg-query", args...).Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		kib, _ := strconv.ParseInt(f[1], 10, 64)
		s.Closure += kib * 1024
		s.ClosurePackages++
		if f[0] == "awscli" {
			s.AWSCLI = kib * 1024
		}
		if f[2] != "required" && f[2] != "important" {
			s.ClosureBeyondBase += kib * 1024
		}
	}
	return s
}

// httpsFront runs tests/faultproxy with no fault as an https endpoint in
// front of the peer's STS, with a certificate from a CA of its own, and
// returns its URL and the CA's file.
func httpsFront(t *testing.T, leaks *harness.Leaks, b *e2e.Bed, bins harness.Binaries, work string) (string, string) {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "front")
	must(t, os.MkdirAll(dir, 0o700))
	proxy := filepath.Join(dir, "faultproxy")
	build := exec.Command("go", "build", "-o", proxy, "./tests/faultproxy/cmd/faultproxy")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build faultproxy: %v\n%s", err, msg)
	}
	cert, err := fakegitlab.NewCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err := cert.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	addrFile := filepath.Join(dir, "addr")
	srv := e2e.Start(t, leaks, e2e.Command{Name: "https front", Path: proxy, NetNS: b.NetNS, Env: e2e.BaseEnv(dir),
		Args: []string{"-upstream", b.STS, "-fault", "none", "-count", "0", "-addr-file", addrFile, "-tls-cert", certPath, "-tls-key", keyPath}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if addr, err := os.ReadFile(addrFile); err == nil {
			return "https://" + string(addr), filepath.Join(dir, "ca.crt")
		}
		if srv.Exited() || time.Now().After(deadline) {
			t.Fatalf("the https front did not start:\n%s", srv.Log())
		}
	}
}

// imageBuild builds aws-oidc the way the Dockerfile does: its build tags
// and its GCFLAGS default, read from the Dockerfile so the two cannot drift.
func imageBuild(t *testing.T, root string) (path, flags string) {
	t.Helper()
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	gc := regexp.MustCompile(`(?m)^ARG GCFLAGS=(\S*)`).FindSubmatch(dockerfile)
	tags := regexp.MustCompile(`go build [^\n]*-tags (\S+)`).FindSubmatch(dockerfile)
	if gc == nil || tags == nil {
		t.Fatal("the Dockerfile's GCFLAGS or -tags not found: update imageBuild")
	}
	path = filepath.Join(t.TempDir(), "aws-oidc-image")
	args := []string{"build", "-trimpath", "-tags", string(tags[1]), "-gcflags=" + string(gc[1]), "-ldflags", "-s -w", "-o", path, "./src/cmd/aws-oidc"}
	build := exec.Command("go", args...)
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return path, fmt.Sprintf("-tags %s -gcflags=%s", tags[1], gc[1])
}

// initTrace is one line of GODEBUG=inittrace=1.
var initTrace = regexp.MustCompile(`(?m)^init (\S+) @\S+ ms, ([0-9.]+) ms clock, (\d+) bytes`)

// initCosts runs `aws-oidc version` with the runtime's init trace several
// times and keeps, per package, its median init time: where start-up goes
// before main.
func initCosts(t *testing.T, binary string) []initCost {
	t.Helper()
	samples := map[string][]float64{}
	bytesOf := map[string]int64{}
	for range 21 {
		cmd := exec.Command(binary, "version")
		cmd.Env = []string{"GODEBUG=inittrace=1"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws-oidc version: %v", err)
		}
		for _, m := range initTrace.FindAllStringSubmatch(string(out), -1) {
			v, _ := strconv.ParseFloat(m[2], 64)
			samples[m[1]] = append(samples[m[1]], v)
			bytesOf[m[1]], _ = strconv.ParseInt(m[3], 10, 64)
		}
	}
	var costs []initCost
	for pkg, v := range samples {
		sort.Float64s(v)
		costs = append(costs, initCost{Package: pkg, Clock: secs(v[len(v)/2] / 1000), Bytes: bytesOf[pkg]})
	}
	sort.Slice(costs, func(i, j int) bool { return costs[i].Clock > costs[j].Clock })
	return costs
}

type initCost struct {
	Package string
	Clock   time.Duration
	Bytes   int64
}

// helloWorld builds the smallest Go program the way `make build` builds
// aws-oidc: the floor for any Go start-up on this machine.
func helloWorld(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o600))
	out := filepath.Join(dir, "hello")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build hello: %v\n%s", err, msg)
	}
	return out
}

// s3Share sums the sizes of the AWS SDK S3 client's symbols (code and data
// in the file, not bss) in an unstripped build.
func s3Share(t *testing.T, root string) (s3 int64) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "aws-oidc-symbols")
	build := exec.Command("go", "build", "-trimpath", "-o", out, "./src/cmd/aws-oidc")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	nm, err := exec.Command("go", "tool", "nm", "-size", out).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	for _, line := range strings.Split(string(nm), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] == "B" || f[2] == "b" || f[2] == "U" {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		if name := strings.Join(f[3:], " "); strings.Contains(name, "aws-sdk-go-v2/service/s3.") || strings.Contains(name, "aws-sdk-go-v2/service/s3/") {
			s3 += n
		}
	}
	return s3
}

func peerVersion(t *testing.T) string {
	v, err := e2e.Versions()
	if err != nil {
		t.Fatal(err)
	}
	return v["SEAWEEDFS_VERSION"]
}

func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(data); m != nil {
			cpu = string(m[1])
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	load, _ := os.ReadFile("/proc/loadavg")
	debian, _ := os.ReadFile("/etc/debian_version")
	var versions []string
	for _, c := range [][]string{{hyperfine, "--version"}, {e2e.AWSCLI, "--version"}, {"/usr/bin/curl", "--version"}} {
		out, _ := exec.Command(c[0], c[1:]...).Output()
		versions = append(versions, strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0])
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, Linux %s, Debian %s, %s; %s; load average at the end %s",
		runtime.NumCPU(), cpu, strings.TrimSpace(string(kernel)), strings.TrimSpace(string(debian)), runtime.Version(),
		strings.Join(versions, "; "), strings.Join(strings.Fields(string(load))[:3], " "))
}

// quote renders argv for hyperfine's own shell-words splitting (-N).
func quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]#~") {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
