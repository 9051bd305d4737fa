package main

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// ignorer applies the .gitignore files of a folder that is not in a Git
// work tree (in one, apikit scan asks Git itself). It understands what
// .gitignore files hold in practice: globs with *, ?, [...] and **, a
// leading / or an inner / to anchor, a trailing / for folders only, ! to
// re-include, # comments.
type ignorer struct {
	root  string
	rules []ignoreRule
}

type ignoreRule struct {
	base    string // the folder of the .gitignore, relative to the root ("." for the root)
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
	anchor  bool // matched against the path from base, else against the name
}

func newIgnorer(root string) *ignorer { return &ignorer{root: root} }

// load reads the .gitignore of the folder dir (rel from the root), if any.
func (g *ignorer) load(dir, rel string) {
	f, err := os.Open(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{base: filepath.ToSlash(rel)}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		line = strings.TrimPrefix(line, `\`)
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchor, line = true, strings.TrimPrefix(line, "/")
		}
		re, err := regexp.Compile("^" + globRegexp(line) + "$")
		if err != nil || line == "" {
			continue
		}
		r.re = re
		g.rules = append(g.rules, r)
	}
}

// ignored reports whether the path rel (from the root) is ignored: the
// last rule that matches it decides.
func (g *ignorer) ignored(rel string, isDir bool) bool {
	rel = filepath.ToSlash(rel)
	ignored := false
	for _, r := range g.rules {
		sub := rel
		if r.base != "." {
			var ok bool
			if sub, ok = strings.CutPrefix(rel, r.base+"/"); !ok {
				continue
			}
		}
		if r.dirOnly && !isDir {
			continue
		}
		target := sub
		if !r.anchor {
			target = path.Base(sub)
		}
		if r.re.MatchString(target) {
			ignored = !r.negate
		}
	}
	return ignored
}

// globRegexp turns a .gitignore glob into a regular expression.
func globRegexp(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "/**") && i+3 == len(glob):
			b.WriteString("(?:/.*)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			if j := strings.IndexByte(glob[i+1:], ']'); j >= 0 {
				class := glob[i+1 : i+1+j]
				if strings.HasPrefix(class, "!") {
					class = "^" + class[1:]
				}
				b.WriteString("[" + class + "]")
				i += j + 1
			} else {
				b.WriteString(`\[`)
			}
		case c == '\\' && i+1 < len(glob):
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}
