package trustpolicy

import "sync"

// What a GitLab ID token's sub can look like. The default is
// project_path:<path>:ref_type:<branch|tag>:ref:<ref>; a project can choose
// other components (ci_id_token_sub_claim_components), from a fixed list:
// project_path,ref_type,ref / project_path,ref,ref_type / project_path,ref /
// project_path,ref_type (https://gitlab.com/gitlab-org/gitlab/-/issues/477260).
const (
	// A project path: namespaces and the project, letters, digits, '_',
	// '-', '.', separated by '/'.
	projectPathExpr = `[A-Za-z0-9_.][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.\-]*)+`
	// A git ref name cannot hold ':', whitespace, '~', '^', '?', '*', '[' or
	// '\' (git check-ref-format).
	refExpr     = `[^:\s~^?*\[\\]+`
	refTypeExpr = `(?:branch|tag)`
	subTailExpr = `(?::ref_type:` + refTypeExpr + `:ref:` + refExpr +
		`|:ref:` + refExpr + `:ref_type:` + refTypeExpr +
		`|:ref:` + refExpr +
		`|:ref_type:` + refTypeExpr + `)`
	// probeProject is a project nobody has: a pattern that admits it admits
	// any project on the instance.
	probeProject = `zz-aws-oidc-probe-group/zz-aws-oidc-probe-project`
)

// The languages are built on first use: compiling them at every start-up
// cost about a millisecond.
var (
	gitlabSubjects = sync.OnceValue(func() *language { return newLanguage(`project_path:` + projectPathExpr + subTailExpr) })
	probeSubjects  = sync.OnceValue(func() *language { return newLanguage(`project_path:` + probeProject + subTailExpr) })
)

// SubjectCanMatch reports whether a sub condition value can match any sub
// GitLab puts in a token: exactly (StringEquals) or as a pattern
// (StringLike).
func SubjectCanMatch(value string, like bool) bool {
	if like {
		return gitlabSubjects().meets(value)
	}
	return gitlabSubjects().matches(value)
}

// SubjectAdmitsAnyProject reports whether a sub condition value lets every
// project of the instance in, which is what a missing sub condition does too.
func SubjectAdmitsAnyProject(value string, like bool) bool {
	return like && probeSubjects().meets(value)
}

// Subject is GitLab's default sub for a project and ref.
func Subject(projectPath, refType, ref string) string {
	return "project_path:" + projectPath + ":ref_type:" + refType + ":ref:" + ref
}
