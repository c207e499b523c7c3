package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// A flag's environment variables are read through Env.Getenv, not by
// urfave/cli (which reads the process environment directly): tests inject
// the environment, and a variable set to the empty string counts as unset.
// GitLab sets a job variable whose component input is empty to "", and that
// must not hide the next variable in the list or the default.

// flagSpec describes one flag for the help text and the lookup.
type flagSpec struct {
	Name    string
	Aliases []string
	Envs    []string
	Usage   string
	Default string
	// Multi makes the flag repeatable; its variables are comma separated.
	Multi bool
	// Bool makes it a switch.
	Bool bool
	// Input is the assume-role component input that sets the flag through
	// Envs[0] (component.go).
	Input string
}

func (s flagSpec) flag() cli.Flag {
	usage := s.Usage
	if len(s.Envs) > 0 {
		usage += " [$" + strings.Join(s.Envs, ", $") + "]"
	}
	switch {
	case s.Bool:
		return &cli.BoolFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage}
	case s.Multi:
		return &cli.StringSliceFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage}
	default:
		return &cli.StringFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage, DefaultText: s.Default}
	}
}

func flags(specs []flagSpec) []cli.Flag {
	out := make([]cli.Flag, len(specs))
	for i, s := range specs {
		out[i] = s.flag()
	}
	return out
}

// lookup reads flags: the command line wins, then the first variable that is
// set and not empty, then the default.
type lookup struct {
	c      *cli.Context
	getenv func(string) string
	specs  map[string]flagSpec
	// component is set when the tool runs as the assume-role component.
	component bool
}

func newLookup(c *cli.Context, getenv func(string) string, specs []flagSpec) lookup {
	m := make(map[string]flagSpec, len(specs))
	for _, s := range specs {
		m[s.Name] = s
	}
	if inComponent(getenv) {
		return lookup{c: c, getenv: componentGetenv(getenv), specs: m, component: true}
	}
	return lookup{c: c, getenv: getenv, specs: m}
}

// envs are the variables a flag reads, in order. Inside the component a flag
// that an input sets reads only the variable the template passes the input
// in (component.go): an empty input then means the default, never a CI/CD
// variable further down the list (which GitLab would let outrank the
// input, REFERENCE.md §6).
func (l lookup) envs(s flagSpec) []string {
	if l.component && s.Input != "" {
		return []string{inputEnv(s.Input)}
	}
	return s.Envs
}

// source names where a value came from: the input inside the component,
// else the variable.
func (l lookup) source(s flagSpec, env string) string {
	if l.component && s.Input != "" {
		return inputName(s.Input)
	}
	return "$" + env
}

func (l lookup) spec(name string) flagSpec {
	s, ok := l.specs[name]
	if !ok {
		panic(fmt.Sprintf("cli: flag %q is not declared", name)) // a programming error, caught by every test
	}
	return s
}

// String returns the flag's value and where it came from ("--name", "$VAR",
// "the NAME input" or "default"), so errors can point at the right place.
func (l lookup) String(name string) (value, from string) {
	s := l.spec(name)
	if l.c.IsSet(name) {
		return l.c.String(name), "--" + name
	}
	for _, e := range l.envs(s) {
		if v := l.getenv(e); v != "" {
			return v, l.source(s, e)
		}
	}
	return s.Default, "default"
}

// Strings returns a repeatable flag's values; variables hold comma
// separated lists.
func (l lookup) Strings(name string) []string {
	s := l.spec(name)
	if l.c.IsSet(name) {
		return splitAll(l.c.StringSlice(name))
	}
	for _, e := range l.envs(s) {
		if v := l.getenv(e); v != "" {
			return splitAll([]string{v})
		}
	}
	if s.Default != "" {
		return splitAll([]string{s.Default})
	}
	return nil
}

// Bool returns a switch: the command line, then variables holding
// true/false/1/0/yes/no.
func (l lookup) Bool(name string) (bool, error) {
	s := l.spec(name)
	if l.c.IsSet(name) {
		return l.c.Bool(name), nil
	}
	for _, e := range l.envs(s) {
		v := strings.ToLower(strings.TrimSpace(l.getenv(e)))
		switch v {
		case "":
			continue
		case "1", "true", "yes", "on":
			return true, nil
		case "0", "false", "no", "off":
			return false, nil
		default:
			return false, usageErr("%s is %q, not a boolean (valid: true, false)", l.source(s, e), v)
		}
	}
	return false, nil
}

func splitAll(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
