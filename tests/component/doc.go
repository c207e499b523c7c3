// Package component owns the end-to-end test of the catalog component: the
// test pipeline in pipeline.yml runs under gitlab-ci-local, which includes
// templates/assume-role.yml and templates/credentials.yml at the commit
// under test, with the real aws-oidc binary on PATH, against SeaweedFS (a
// real STS and S3) and the fake GitLab issuer that tests/e2e starts.
//
// consumer.yml and static-keys.yml are pipelines as users really have them
// (issue 10): a default: the component's job must not inherit, CI/CD
// variables (AWS_REGION, static keys) that outrank job variables, and jobs
// that extend .aws-oidc with a before_script of their own.
//
// It reuses the end-to-end bed of package e2e rather than its own servers.
// image.sh, beside it, proves the Dockerfile with buildah (`make image`).
package component
