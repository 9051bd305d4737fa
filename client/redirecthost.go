package client

import (
	"fmt"
	"net"
	"strings"
)

// checkRedirectHost validates one WithRedirectHosts entry (lower case) and
// returns it, or says what is wrong with it and what to write instead.
//
// A wildcard "*.name" follows every host under name, so name must be a site
// that one owner controls, never a public suffix (com, co.uk, github.io),
// under which anyone can register a host and receive the redirected call.
// Without the Public Suffix List (the SDK takes no dependency for it) the
// rule is conservative:
//
//   - name has at least two labels (example.com), except under a name that
//     never resolves on the public internet: localhost, test, local,
//     internal, example, invalid, home.arpa (RFC 6761, RFC 6762, RFC 8375,
//     ICANN's .internal), and the private networks' corp, home, lan,
//     intranet, private (RFC 6762 appendix G), where one label is enough
//     (*.localhost, *.corp);
//   - name is not a second-level registry of a country code (co.uk, com.au,
//     co.jp, gov.br: a generic word such as co, com, net, org, gov, edu, ac,
//     or, ne under a two-letter top-level domain), and not one of the shared
//     hosting suffixes in publicHostingSuffixes (github.io, herokuapp.com,
//     s3.amazonaws.com, …), where every customer gets a subdomain;
//   - name is not an IP address.
//
// A wildcard the rule refuses can always be replaced by the exact hosts.
func checkRedirectHost(h string) (string, error) {
	h = strings.ToLower(h)
	name, wild := strings.CutPrefix(h, "*.")
	if name == "" || strings.ContainsAny(name, "/:*@?#[]\\ ") || strings.Trim(name, ".") != name || strings.Contains(name, "..") {
		return "", fmt.Errorf("WithRedirectHosts: %q is not a host name; give a name such as files.example.com or *.example.com (no scheme, port or path)", h)
	}
	if !wild {
		return h, nil
	}
	if net.ParseIP(name) != nil || allDigits(name[strings.LastIndexByte(name, '.')+1:]) {
		return "", fmt.Errorf("WithRedirectHosts: %q puts a wildcard over an IP address; name the address itself (%s)", h, name)
	}
	if why := publicSuffix(name); why != "" {
		return "", fmt.Errorf("WithRedirectHosts: %q would follow redirects to any host under %s, %s, where anyone can register a name and receive the call; put the wildcard under a domain you control (*.files.example.com, *.example.co.uk) or name the exact hosts",
			h, name, why)
	}
	return h, nil
}

// privateTLDs are top-level names reserved for names that never resolve on
// the public internet, or that private networks use and no registry has
// delegated (RFC 6762 appendix G: intranet, internal, private, corp, home,
// lan); a wildcard directly under one stays on the caller's own machine or
// network. (These tables are space-separated constants, so nothing can
// change them.)
const privateTLDs = "localhost test local internal example invalid home.arpa corp home lan intranet private"

// ccSecondLevel are the generic words that country-code registries use as
// public second levels (co.uk, com.au, ac.jp, gob.mx, …).
const ccSecondLevel = "ac co com edu go gob gov govt gv ltd me mil ne net nhs nic nom or org plc sch"

// publicHostingSuffixes are shared-hosting and platform suffixes (from the
// Public Suffix List's private section, and CentralNic's country-like
// domains) under which every customer gets a host of its own: the ones an
// API's redirect is likeliest to name, not every one.
const publicHostingSuffixes = "" +
	"amazonaws.com s3.amazonaws.com elasticbeanstalk.com cloudfront.net awsapprunner.com appspot.com " +
	"web.app firebaseapp.com run.app cloudfunctions.net googleusercontent.com blogspot.com " +
	"azurewebsites.net azurestaticapps.net blob.core.windows.net cloudapp.net azureedge.net " +
	"trafficmanager.net github.io githubusercontent.com gitlab.io bitbucket.io pages.dev workers.dev " +
	"r2.dev trycloudflare.com herokuapp.com herokudns.com vercel.app now.sh netlify.app netlify.com " +
	"fly.dev onrender.com railway.app deno.dev glitch.me repl.co replit.app surge.sh ngrok.io ngrok.app " +
	"ngrok-free.app digitaloceanspaces.com ondigitalocean.app readthedocs.io myshopify.com wixsite.com " +
	"wordpress.com fastly.net akamaized.net edgekey.net b-cdn.net cdn77.org supabase.co dyndns.org " +
	"duckdns.org no-ip.org uk.com us.com eu.com gb.net uk.net za.com br.com cn.com de.com jpn.com "

// publicSuffix says why name is a public suffix, "" when the rule above
// finds it is not.
func publicSuffix(name string) string {
	labels := strings.Split(name, ".")
	tld := labels[len(labels)-1]
	for _, p := range strings.Fields(privateTLDs) {
		if name == p || strings.HasSuffix(name, "."+p) {
			return ""
		}
	}
	switch {
	case len(labels) == 1:
		return "a top-level domain"
	case len(labels) == 2 && len(tld) == 2 && inList(ccSecondLevel, labels[0]):
		return "a country's public registry"
	}
	if inList(publicHostingSuffixes, name) {
		return "a shared hosting domain"
	}
	return ""
}

// inList reports whether s is one of list's space-separated words.
func inList(list, s string) bool {
	return strings.Contains(" "+list+" ", " "+s+" ")
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
