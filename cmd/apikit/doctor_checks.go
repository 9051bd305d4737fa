package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/internal/safefile"
	"github.com/apikit/apikit-go/internal/suggest"
	"github.com/apikit/apikit-go/keys"
)

// maxClockSkew is how far this machine's clock may be from a service's
// before doctor says so: beyond it, expiry checks (a JWT's exp, a key's
// expires_at) and signed requests go wrong.
const maxClockSkew = 5 * time.Minute

// configState is what checkConfig learnt of the config file.
type configState struct {
	path   string
	doc    *configfile.Doc // nil when absent or unparseable
	broken bool            // a file-level problem was reported: the SDK refuses the file
	// untrusted: another user can change the file, so doctor runs none of
	// its commands (it would run theirs, as the user).
	untrusted bool
}

// checkConfig checks the config file and its directory.
func (c *checkup) checkConfig() configState {
	st := configState{}
	path, err := configPath()
	if err != nil {
		c.add("config-path", "config file", err.Error(), "set APIKIT_CONFIG_FILE to a file path")
		return st
	}
	st.path = path
	c.res.ConfigFile = path
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("APIKIT_CONFIG_FILE") != "" {
			c.add("config-path", "APIKIT_CONFIG_FILE", "names "+path+", which does not exist", "correct APIKIT_CONFIG_FILE, or unset it to use the default file")
		}
		return st
	}
	if err != nil {
		c.add("config-unreadable", path, err.Error(), "make the file readable by you: chmod 600 "+path)
		st.broken = true
		return st
	}
	doc, _, derr := configfile.Inspect(path)
	if derr == nil {
		st.doc = doc
	}
	// A literal key others can read: chmod 600, which also takes away
	// their write, so the write problem below is not named twice.
	exposed := doc != nil && hasLiteralKey(doc) && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0
	if exposed {
		c.add("config-mode", path, fmt.Sprintf("holds a literal api_key and other users can read it (mode %04o); the SDK refuses it", info.Mode().Perm()), "chmod 600 "+path)
		st.broken = true
	}
	// Who else can change the file, a link to it, or their directories:
	// the SDK refuses the file for any of these, whatever it holds.
	for _, p := range safefile.Audit(path) {
		check := trustCheck(p)
		if exposed && check == "config-mode" {
			continue
		}
		c.add(check, p.Path, p.Kind+" "+p.What+": another user can change what the config file says (a command it runs, where your key goes); the SDK refuses it", p.Fix)
		st.broken, st.untrusted = true, true
	}
	if !st.broken {
		if _, err := credentials.LoadConfig(path); err != nil {
			c.add("config-invalid", path, "the SDK cannot use it: "+innerError(err), "edit "+path+" as the message says (apikit config list shows what it holds)")
			st.broken = true
		}
	}
	if doc == nil {
		return st
	}
	for _, p := range doc.Profiles() {
		for _, s := range doc.Services(p) {
			c.checkSection(doc, p, s)
		}
	}
	c.checkProfiles(doc)
	return st
}

// trustCheck names the doctor check of a problem safefile.Audit found:
// config-dir-mode for a directory, config-symlink for a link, config-owner
// for a file another user owns, config-mode for one others can write.
func trustCheck(p safefile.Problem) string {
	switch {
	case p.Kind == "directory":
		return "config-dir-mode"
	case p.Kind == "symbolic link":
		return "config-symlink"
	case strings.Contains(p.What, "owned by"):
		return "config-owner"
	}
	return "config-mode"
}

// innerError drops the source a *credentials.SourceError prefixes, when the
// message already names it.
func innerError(err error) string {
	var se *credentials.SourceError
	if errors.As(err, &se) && se.Err != nil {
		return se.Err.Error()
	}
	return err.Error()
}

// checkSection checks one service section of the config file.
func (c *checkup) checkSection(doc *configfile.Doc, profile, service string) {
	line := doc.Line(profile, service)
	where := fmt.Sprintf("config file, profile %q, %s (line %d)", profile, service, line)
	if _, err := lookupService(service); err != nil {
		if n := suggest.Nearest(service, serviceNames()); n != "" {
			c.add("config-service-name", where, fmt.Sprintf("no service is called %q, so nothing reads this section", service),
				fmt.Sprintf("rename the section to %s", n))
		}
	}
	if v, ok := doc.Get(profile, service, fieldBaseURL); ok && !v.IsList {
		if what, fix := baseURLProblem(v.Scalar); what != "" {
			c.add("base-url", fmt.Sprintf("config file, profile %q, %s.base_url (section at line %d)", profile, service, line), what, fix)
		}
	}
}

// baseURLProblem says what is wrong with a base URL, if anything.
func baseURLProblem(raw string) (what, fix string) {
	if err := checkBaseURL(raw); err != nil {
		return "not a usable base URL: " + err.Error(), "set it to the API root, e.g. https://api.example.com"
	}
	u, _ := url.Parse(raw)
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return "plain HTTP to " + u.Hostname() + ": the key would cross the network in clear text (the SDK refuses it)",
			"use https://" + u.Host + u.Path
	}
	return "", ""
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkProfiles checks that the profiles the environment names exist.
func (c *checkup) checkProfiles(doc *configfile.Doc) {
	have := map[string]bool{}
	for _, p := range doc.Profiles() {
		have[p] = true
	}
	vars := []string{"APIKIT_PROFILE"}
	for _, s := range c.services {
		if s.ProfileEnvVar != "" {
			vars = append(vars, s.ProfileEnvVar)
		}
	}
	for _, v := range vars {
		p := os.Getenv(v)
		if p == "" || have[p] {
			continue
		}
		c.add("profile-missing", v, fmt.Sprintf("names profile %q, which the config file does not have (it has: %s)", shownProfile(p), strings.Join(doc.Profiles(), ", ")),
			fmt.Sprintf("unset %s, or set it to one of the file's profiles", v))
	}
	if p := c.a.profile; p != "" && !have[p] {
		c.add("profile-missing", "--profile", fmt.Sprintf("profile %q is not in the config file (it has: %s)", shownProfile(p), strings.Join(doc.Profiles(), ", ")),
			"pass one of the file's profiles, or create it with apikit login <service> --profile "+shownProfile(p))
	}
}

// shownProfile is a profile name as a message may show it.
func shownProfile(p string) string {
	if keyShaped(p) || len(p) > 40 {
		return "(not shown: it looks like a key)"
	}
	return p
}

// hasLiteralKey reports whether any section holds an api_key.
func hasLiteralKey(doc *configfile.Doc) bool {
	for _, p := range doc.Profiles() {
		for _, s := range doc.Services(p) {
			if _, ok := doc.Get(p, s, fieldAPIKey); ok {
				return true
			}
		}
	}
	return false
}

// checkKeyring checks that the keyring answers, and holds every entry the
// config file points at.
func (c *checkup) checkKeyring(st configState) {
	type ref struct{ profile, service string }
	var refs []ref
	if st.doc != nil {
		for _, p := range st.doc.Profiles() {
			for _, s := range st.doc.Services(p) {
				if v, ok := st.doc.Get(p, s, fieldKeyCommand); ok && isKeyringCommand(v.List) {
					refs = append(refs, ref{p, s})
					if _, err := os.Stat(v.List[0]); err != nil {
						c.add("key-command", fmt.Sprintf("config file, profile %q, %s", p, s),
							fmt.Sprintf("its api_key_command runs %s, which no longer exists (apikit moved?)", v.List[0]),
							fmt.Sprintf("apikit login %s --profile %s (it writes the command anew)", s, p))
					}
				}
			}
		}
	}
	if len(refs) == 0 {
		_, err := c.a.keyring.Get(c.ctx, ringService("doctor-probe"), "probe")
		if errors.Is(err, secretstore.ErrUnavailable) {
			c.note("no OS keyring answers (%v); apikit login will need --insecure-storage", err)
		}
		return
	}
	for _, r := range refs {
		_, err := c.a.keyring.Get(c.ctx, ringService(r.service), r.profile)
		switch {
		case err == nil:
		case errors.Is(err, secretstore.ErrNotFound):
			c.add("keyring-entry", fmt.Sprintf("keyring %s, account %s", ringService(r.service), r.profile),
				fmt.Sprintf("the config file's profile %q, %s reads this keyring entry, which does not exist", r.profile, r.service),
				fmt.Sprintf("apikit login %s --profile %s", r.service, r.profile))
		default:
			c.add("keyring", "OS keyring", fmt.Sprintf("%v; the config file's profile %q, %s keeps its key there", err, r.profile, r.service),
				fmt.Sprintf("start or unlock the keyring (a Secret Service such as gnome-keyring on Linux), or apikit login %s --profile %s --insecure-storage", r.service, r.profile))
			return // one unavailable keyring, one problem
		}
	}
}

// checkKeyCommands runs the api_key_command of each service's profile (not
// the keyring ones, checked above), as the SDK will.
func (c *checkup) checkKeyCommands(st configState) {
	if st.doc == nil || st.untrusted {
		return
	}
	for _, svc := range c.services {
		p := c.a.profileFor(svc)
		v, ok := st.doc.Get(p, svc.Name, fieldKeyCommand)
		if !ok || !v.IsList || len(v.List) == 0 || isKeyringCommand(v.List) {
			continue
		}
		timeout := credentials.DefaultCommandTimeout
		if c.a.timeout > 0 {
			timeout = min(timeout, c.a.timeout)
		}
		_, err := credentials.CommandWithTimeout(timeout, v.List...).Retrieve(c.ctx)
		if err == nil {
			continue
		}
		c.add("key-command", fmt.Sprintf("config file, profile %q, %s.api_key_command", p, svc.Name), innerError(err),
			fmt.Sprintf("run the command yourself to see why, then fix it (apikit config set %s.api_key_command -- <program> <args>...)", svc.Name))
	}
}

// checkEnvironment checks variables: names that nearly match a service's,
// base URLs on plain HTTP.
func (c *checkup) checkEnvironment() {
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" {
			continue
		}
		for _, svc := range c.services {
			if nearMissVar(svc, name) && holdsKeyOf(svc, value) {
				c.add("env-name", "env "+name, fmt.Sprintf("holds a %s key, but the SDK reads %s", svc.Name, svc.EnvVar),
					fmt.Sprintf("export %s=\"$%s\"; unset %s", svc.EnvVar, name, name))
			}
		}
	}
	for _, svc := range c.services {
		if svc.BaseURLEnvVar == "" {
			continue
		}
		if v := os.Getenv(svc.BaseURLEnvVar); v != "" {
			if what, fix := baseURLProblem(v); what != "" {
				c.add("base-url", "env "+svc.BaseURLEnvVar, what, fix)
			}
		}
	}
}

// nearMissVar reports whether name looks meant for svc's key but is not
// the variable the SDK reads (HYPEDATA_KEY, HYPERSYNC_API_KEY, ...).
func nearMissVar(svc client.Service, name string) bool {
	if svc.EnvVar == "" || name == svc.EnvVar || name == svc.BaseURLEnvVar || name == svc.ProfileEnvVar {
		return false
	}
	stems := []string{strings.ToUpper(svc.Name)}
	stem := svc.EnvVar
	for _, suf := range []string{"_API_KEY", "_API_TOKEN", "_TOKEN", "_KEY"} {
		if s, ok := strings.CutSuffix(stem, suf); ok {
			stem = s
			break
		}
	}
	stems = append(stems, stem)
	for _, s := range stems {
		if strings.HasPrefix(name, s+"_") || strings.HasPrefix(name, s) && suggest.Distance(name, svc.EnvVar) <= 2 {
			rest := name[len(s):]
			return strings.Contains(rest, "KEY") || strings.Contains(rest, "TOKEN") || strings.Contains(rest, "SECRET")
		}
	}
	return false
}

// holdsKeyOf reports whether value looks like one of svc's keys (even a
// malformed or expired one).
func holdsKeyOf(svc client.Service, value string) bool {
	f := formatOf(svc)
	var pe *keys.ParseError
	if _, err := keys.Parse(value, f); err == nil || errors.As(err, &pe) && pe.Expired {
		return true
	}
	for _, p := range f.Prefixes {
		if strings.HasPrefix(value, p.Text) {
			return true
		}
	}
	return false
}

// checkDotEnvs finds .env files the SDK does not read (it reads ./.env
// only) that hold a service's key, and a ./.env others can read.
func (c *checkup) checkDotEnvs() {
	cwd, err := os.Getwd()
	if err != nil {
		return
	}
	if info, err := os.Stat(".env"); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
		if names := c.keyVars(filepath.Join(cwd, ".env"), false); len(names) > 0 {
			c.add("dotenv-mode", filepath.Join(cwd, ".env"), fmt.Sprintf("holds %s and other users can read it (mode %04o)", strings.Join(names, ", "), info.Mode().Perm()),
				"chmod 600 "+filepath.Join(cwd, ".env"))
		}
	}
	// Variants beside it: .env.local, .env.production, prod.env, ...
	entries, _ := os.ReadDir(cwd)
	for _, e := range entries {
		n := e.Name()
		if n == ".env" || e.IsDir() || !(strings.HasPrefix(n, ".env.") || strings.HasSuffix(n, ".env")) || strings.HasSuffix(n, ".example") || strings.HasSuffix(n, ".sample") {
			continue
		}
		p := filepath.Join(cwd, n)
		if names := c.keyVars(p, true); len(names) > 0 {
			c.add("dotenv-not-read", p, fmt.Sprintf("holds %s, but the SDK reads ./.env only", strings.Join(names, ", ")),
				fmt.Sprintf("move the line into %s, or export the variable", filepath.Join(cwd, ".env")))
		}
	}
	// .env files in parent directories.
	dir := filepath.Dir(cwd)
	for i := 0; i < 32 && dir != filepath.Dir(dir); i++ {
		p := filepath.Join(dir, ".env")
		if names := c.keyVars(p, true); len(names) > 0 {
			c.add("dotenv-not-read", p, fmt.Sprintf("holds %s, but the SDK reads .env in the working directory only (%s)", strings.Join(names, ", "), cwd),
				"run from "+dir+", copy the line into "+filepath.Join(cwd, ".env")+", or export the variable")
		}
		dir = filepath.Dir(dir)
	}
}

// keyVars returns the names in the .env file at path that hold a service's
// key (its own variable, or with nearMiss, one named nearly like it).
func (c *checkup) keyVars(path string, nearMiss bool) []string {
	m, err := credentials.ReadDotEnv(path)
	if err != nil {
		return nil
	}
	var names []string
	for name, value := range m {
		for _, svc := range c.services {
			if (name == svc.EnvVar || nearMiss && nearMissVar(svc, name)) && value != "" {
				names = append(names, name)
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// checkKeys checks every source of svc's key, and with --verify asks the
// service.
func (c *checkup) checkKeys(svc client.Service) {
	profile := c.a.profileFor(svc)
	rep := c.a.inspect(c.ctx, svc, profile)
	var winner *sourceView
	for i := range rep.Sources {
		if rep.Sources[i].Wins {
			winner = &rep.Sources[i]
		}
	}
	for _, s := range rep.Sources {
		switch {
		case !s.Found:
		case s.Key == "":
			if s.kind == credentials.KindConfig {
				continue // the config file's own checks said why
			}
			c.add("source-error", s.Source, s.Problem, fixFor(svc, s, profile))
		case !s.Valid && s.expired:
			c.add("key-expired", s.Source, s.Problem, fmt.Sprintf("get a new key (apikit keys create %s --name ...), then put it where this one is", svc.Name))
		case !s.Valid:
			c.add("key-malformed", s.Source, fmt.Sprintf("%s %s: %s", svc.Name, s.Key, s.Problem), fixFor(svc, s, profile))
		}
		if s.ShadowedBy != "" && s.Key != "" && winner != nil && winner.Fingerprint != s.Fingerprint {
			what := fmt.Sprintf("holds %s (%s), but %s wins", s.Key, s.Fingerprint, s.ShadowedBy)
			if winner.Key != "" {
				what += fmt.Sprintf(" with %s (%s)", winner.Key, winner.Fingerprint)
			}
			c.add("key-shadowed", s.Source, what, unshadowFix(svc, *winner))
		}
	}
	if !c.verify {
		return
	}
	c.a.verify(c.ctx, rep)
	v := rep.Verify
	if v == nil {
		return
	}
	if v.ClockSkew != nil && math.Abs(*v.ClockSkew) > maxClockSkew.Seconds() {
		dir := "ahead of"
		if *v.ClockSkew < 0 {
			dir = "behind"
		}
		d := time.Duration(math.Abs(*v.ClockSkew) * float64(time.Second)).Round(time.Second)
		c.add("clock", "this machine's clock", fmt.Sprintf("is %s %s %s's (its Date header): expiry checks go wrong", d, dir, v.BaseURL),
			"sync the clock: timedatectl set-ntp true (or your system's time settings)")
	}
	if v.Accepted {
		return
	}
	switch v.code {
	case exitRefused:
		c.add("key-refused", rep.Source, fmt.Sprintf("%s refuses %s (%s): %s", v.BaseURL, rep.Key, rep.Fingerprint, v.Error),
			fmt.Sprintf("get a working key (apikit keys list %s shows which are live), then apikit login %s", svc.Name, svc.Name))
	case exitUnreachable:
		c.add("service-unreachable", svc.Name, v.Error, "check the network and the base URL (apikit status "+svc.Name+" shows it)")
	default:
		c.add("verify-failed", svc.Name, v.Error, "see the message; apikit status "+svc.Name+" --verify shows the details")
	}
}

// fixFor is the fix for a bad value in source s.
func fixFor(svc client.Service, s sourceView, profile string) string {
	switch s.kind {
	case credentials.KindEnv:
		return fmt.Sprintf("set %s to the key alone (no quotes, spaces or line ending), or unset it", svc.EnvVar)
	case credentials.KindDotEnv:
		return fmt.Sprintf("correct the %s line of .env (the key alone), or remove it", svc.EnvVar)
	case credentials.KindConfig:
		return fmt.Sprintf("apikit login %s --profile %s", svc.Name, profile)
	}
	return "correct the key in that source"
}

// unshadowFix says how to stop winner from hiding the lower sources.
func unshadowFix(svc client.Service, winner sourceView) string {
	switch winner.kind {
	case credentials.KindEnv:
		return fmt.Sprintf("if the other key is the one you want: unset %s; else remove the other one", svc.EnvVar)
	case credentials.KindDotEnv:
		return fmt.Sprintf("if the other key is the one you want: remove %s from .env; else remove the other one", svc.EnvVar)
	}
	return "remove the key you do not want"
}
