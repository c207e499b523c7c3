//go:build bench

package exchange_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/benchdoc"
)

// TestBenchSim runs the load simulation (loadsim_test.go) past what one
// machine can start: 1,000 and 10,000 jobs, at the demand of five
// times the rate for twenty seconds (the rate scaled with the jobs, as when
// many runners share a bigger account) and at the fixed 5 requests
// per second, where the work outlasts the deadline. `make bench-sim` runs
// it and writes its section of BENCHMARKS.md.
func TestBenchSim(t *testing.T) {
	type scenario struct {
		jobs  int
		rate  float64
		burst int
		seeds int
		note  string
	}
	scenarios := []scenario{
		{100, 5, 2, 10, "issue 13's case (`make bench-load` measures it with processes)"},
		{1000, 50, 20, 5, "five times the rate for 20 s, rate scaled by 10"},
		{10000, 500, 200, 3, "five times the rate for 20 s, rate scaled by 100"},
		{1000, 5, 2, 3, "200 s of work at 5/s: more than the 2m deadline"},
		{10000, 5, 2, 1, "2,000 s of work at 5/s: far more than the deadline"},
	}
	var rows []string
	for _, sc := range scenarios {
		var results []simResult
		start := time.Now()
		for seed := range uint64(sc.seeds) {
			results = append(results, simulate(simConfig{Jobs: sc.jobs, Rate: sc.rate, Burst: sc.burst, Timeout: exchangeTimeout, Seed: seed + 1}))
		}
		took := time.Since(start)
		ideal := time.Duration(float64(sc.jobs) / sc.rate * float64(time.Second))
		row := simRow(results, ideal)
		fmt.Printf("%d jobs at %g/s (burst %d), %d seeds in %s: %s\n", sc.jobs, sc.rate, sc.burst, sc.seeds, took.Round(time.Millisecond), row)
		rows = append(rows, fmt.Sprintf("| %d | %g/s, burst %d | %d | %s | %s |", sc.jobs, sc.rate, sc.burst, sc.seeds, row, sc.note))
	}
	md := `## The retry policy past one machine: simulation (issue 13)

Measured by ` + "`make bench-sim`" + ` (src/internal/exchange/loadsim_bench_test.go), which writes this section.
Every job runs ` + "`exchange.Exchange`" + ` itself with the default policy (` + "`DefaultRetry`" + `: the retry loop, the
backoff, the classification, and the SDK client of ` + "`NewClient`" + ` parsing STS's XML answers) against one
token bucket shared by all jobs, the very ` + "`throttle.Bucket`" + ` of the load benchmark's front. Only time is
simulated: the jobs' sleeps and clock are a discrete-event scheduler's, so a run is exact and
repeatable for its seed, and network and process start cost nothing. Each job has the 2m default
deadline; all start at the same instant.

- **Date:** ` + time.Now().UTC().Format("2006-01-02 15:04 UTC") + `, ` + runtime.Version() + `
- **Figures:** as in the load benchmark, over the seeds: success is the lowest; requests per success
  (throttled ones included), p50/p90/max time to credentials and last done are the median of the
  seeds' figures, with the worst in brackets; the ideal is jobs ÷ rate. *Warnings* is the most
  warning lines one job's log got.

| jobs | rate | seeds | success | requests per success | p50 | p90 | max | last done / ideal | warnings | |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
` + strings.Join(rows, "\n") + `

- At five times the rate the figures hold from 100 to 10,000 jobs: the policy depends on how far demand
  exceeds the rate, not on how many callers there are.
- When the work outlasts the deadline (1,000 or 10,000 jobs at 5/s) the bucket still serves its full rate
  until the deadline (about 600 jobs in 2 minutes), and the rest fail with exit 5 and the hint to raise
  ` + "`--timeout`" + ` or start fewer jobs. Each waiting job then asks about once every 6 s (the waits are capped
  at 10 s), so the requests per success grow with the crowd: no client can know how many others wait.
`
	fmt.Println(md)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "BENCHMARKS.md")
	if err := benchdoc.WriteSection(out, "sim", md); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("wrote the sim section of %s\n", out)
}

// simRow renders the seeds' figures: the median, and the worst in brackets.
func simRow(results []simResult, ideal time.Duration) string {
	okMin, warnMax := results[0].OK, 0
	var rps, p50, p90, pmax, last []float64
	for _, r := range results {
		okMin = min(okMin, r.OK)
		warnMax = max(warnMax, r.MaxWarnings())
		rps = append(rps, r.RequestsPerSuccess())
		p50 = append(p50, r.Percentile(50).Seconds())
		p90 = append(p90, r.Percentile(90).Seconds())
		pmax = append(pmax, r.Percentile(100).Seconds())
		last = append(last, r.Last.Seconds()/ideal.Seconds())
	}
	medWorst := func(v []float64, format string) string {
		s := slices.Clone(v)
		slices.Sort(s)
		med := fmt.Sprintf(format, s[len(s)/2])
		if len(s) == 1 {
			return med
		}
		return med + " (" + fmt.Sprintf(format, s[len(s)-1]) + ")"
	}
	jobs := results[0].Jobs
	return fmt.Sprintf("%d/%d (%.0f%%) | %s | %s | %s | %s | %s | %d", okMin, jobs, 100*float64(okMin)/float64(jobs),
		medWorst(rps, "%.2f"), medWorst(p50, "%.1f s"), medWorst(p90, "%.1f s"), medWorst(pmax, "%.1f s"), medWorst(last, "%.2f"), warnMax)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
