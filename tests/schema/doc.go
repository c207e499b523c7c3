// Package schema owns the checks that every GitLab CI YAML file this project
// ships is one GitLab would accept: each component template (its spec header,
// and its jobs after the inputs are interpolated the way GitLab does), the
// project's .gitlab-ci.yml and the component's test pipelines, all against
// GitLab's own CI JSON schema; and that the documented input tables say what
// the templates' specs say.
//
// The package has only tests; run them with `make schema-test`.
package schema
