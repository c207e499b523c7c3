// Package bench measures aws-oidc against the two ways a GitLab job gets AWS
// credentials without it: the AWS CLI snippet from GitLab's guide and, as the
// floor, one bare curl POST of the same STS request. Everything runs against
// the same local STS peer (SeaweedFS from tests/e2e, in its own network
// namespace) with hyperfine and GNU time, and the results are written to
// BENCHMARKS.md at the repository's root.
//
// It is a measurement, never a test that passes or fails on speed: its
// files carry the `bench` build tag and only `make bench` runs them.
package bench
