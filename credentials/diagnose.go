package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// Report is what Diagnose found: every source in search order.
type Report struct {
	// Entries are the places looked, in search order; a provider that looks
	// in several places (Env of several names, a Chain) gives one entry
	// each.
	Entries []ReportEntry
	// Winner is the index of the entry whose key (or error) a client would
	// use, or -1 when no source holds anything.
	Winner int
}

// ReportEntry is one source's state.
type ReportEntry struct {
	// Source is the place looked in. For a provider that failed without
	// saying where (not a *SourceError), it is "provider N (type)".
	Source Source
	// Found says the source holds a value (a key, or something that is not
	// one: then Key is zero and Problem says what is wrong).
	Found bool
	// Key is the value as a key (zero if it is not one); it prints
	// redacted.
	Key keys.Key
	// Valid says the value is a valid key of the format asked about.
	Valid bool
	// Problem says why the source gave nothing, or why its value is not
	// valid.
	Problem string
	// Err is the error Problem describes when the source failed or its
	// value is not valid (a *keys.ParseError, a *SourceError, a command's
	// timeout), so that a caller can tell them apart with errors.Is and
	// errors.As; nil when the source holds a valid key or nothing.
	Err error
	// Fix says what to do to put a key in a source that holds nothing, e.g.
	// "set HYPEDATA_API_KEY"; "" when there is nothing to suggest.
	Fix string
	// Wins says a client would use this source.
	Wins bool
	// ShadowedBy names the winning source when this one also holds a value
	// that is being ignored — the usual answer to "why is the wrong key used?".
	ShadowedBy string
}

// Diagnose asks every provider (chains are opened up) once, in order, and
// reports what each holds, which one wins, and which it shadows. It never
// shows a secret: keys appear redacted and as fingerprints. format may be
// nil to skip the format check. A provider that fails with a *SourceError
// is shown under that source; any other failure under "provider N".
func Diagnose(ctx context.Context, format *keys.Format, providers ...Provider) Report {
	r := Report{Winner: -1}
	for i, p := range flatten(providers) {
		cred, err := p.Retrieve(ctx)
		var nf *NotFoundError
		var se *SourceError
		switch {
		case err == nil:
			e := ReportEntry{Source: cred.Source, Found: true, Key: cred.Key, Valid: true}
			if format != nil {
				if k, perr := keys.Parse(cred.Key.Reveal(), format); perr != nil {
					e.Valid, e.Problem, e.Err = false, perr.Error(), perr
				} else {
					e.Key = k
				}
			}
			r.Entries = append(r.Entries, e)
		case errors.As(err, &nf):
			for _, a := range nf.Tried {
				r.Entries = append(r.Entries, ReportEntry{Source: a.Source, Problem: redactKeys(a.Why, false), Fix: redactKeys(a.Fix, false)})
			}
		case errors.As(err, &se):
			problem := "unusable"
			if se.Err != nil {
				problem = se.Err.Error()
			}
			r.Entries = append(r.Entries, ReportEntry{Source: se.Source, Found: true, Problem: problem, Err: err})
		default:
			src := Source{Kind: "provider", Detail: fmt.Sprintf("%d (%T)", i+1, p)}
			r.Entries = append(r.Entries, ReportEntry{Source: src, Found: true, Problem: err.Error(), Err: err})
		}
	}
	for i := range r.Entries {
		e := &r.Entries[i]
		if !e.Found {
			continue
		}
		if r.Winner < 0 {
			r.Winner, e.Wins = i, true
			continue
		}
		e.ShadowedBy = r.Entries[r.Winner].Source.String()
	}
	return r
}

// flatten opens up chains, in order, and drops nil providers.
func flatten(ps []Provider) []Provider {
	var out []Provider
	for _, p := range ps {
		if c, ok := p.(chain); ok {
			out = append(out, flatten(c)...)
		} else if p != nil {
			out = append(out, p)
		}
	}
	return out
}

// String renders the report as numbered lines, one per source, marking
// the one used and those it shadows. When no source holds a key, a last
// line says what to set.
func (r Report) String() string {
	var b strings.Builder
	var fixes []string
	for i, e := range r.Entries {
		fmt.Fprintf(&b, "%d. %s: ", i+1, e.Source)
		switch {
		case !e.Found:
			b.WriteString(e.Problem)
			if e.Fix != "" {
				fixes = append(fixes, e.Fix)
			}
		case e.Key.IsZero():
			b.WriteString("error: " + e.Problem)
		default:
			fmt.Fprintf(&b, "%s (%s)", e.Key, e.Key.Fingerprint())
			if !e.Valid {
				b.WriteString(", NOT VALID: " + e.Problem)
			}
		}
		if e.Wins {
			b.WriteString("  <- used")
		}
		if e.ShadowedBy != "" {
			b.WriteString("  (shadowed by " + e.ShadowedBy + ")")
		}
		b.WriteByte('\n')
	}
	if r.Winner < 0 {
		b.WriteString("no source holds a key")
		if len(fixes) > 0 {
			b.WriteString(" — to fix: " + strings.Join(fixes, ", or "))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
