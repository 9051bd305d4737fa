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
	Entries []ReportEntry
	// Winner is the index of the entry whose key (or error) a client would
	// use, or -1 when no source holds anything.
	Winner int
}

// ReportEntry is one source's state.
type ReportEntry struct {
	Source  Source
	Found   bool     // the source holds a value
	Key     keys.Key // the value as a key (zero if it is not one); prints redacted
	Valid   bool     // the value is a valid key of the format asked about
	Problem string   // why the source gave nothing, or why its value is not valid
	Wins    bool     // a client would use this source
	// ShadowedBy names the winning source when this one also holds a value
	// that is being ignored — the usual answer to "why is the wrong key used?".
	ShadowedBy string
}

// Diagnose asks every provider (chains are opened up) once, in order, and
// reports what each holds, which one wins, and which it shadows. It never
// shows a secret: keys appear redacted and as fingerprints. format may be
// nil to skip the format check.
func Diagnose(ctx context.Context, format *keys.Format, providers ...Provider) Report {
	r := Report{Winner: -1}
	for _, p := range flatten(providers) {
		cred, err := p.Retrieve(ctx)
		var nf *NotFoundError
		switch {
		case err == nil:
			e := ReportEntry{Source: cred.Source, Found: true, Key: cred.Key, Valid: true}
			if format != nil {
				if k, perr := keys.Parse(cred.Key.Reveal(), format); perr != nil {
					e.Valid, e.Problem = false, perr.Error()
				} else {
					e.Key = k
				}
			}
			r.Entries = append(r.Entries, e)
		case errors.As(err, &nf):
			for _, a := range nf.Tried {
				r.Entries = append(r.Entries, ReportEntry{Source: a.Source, Problem: a.Why})
			}
		default:
			r.Entries = append(r.Entries, ReportEntry{Source: Source{Kind: "source"}, Found: true, Problem: err.Error()})
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

// String renders the report as numbered lines, one per source.
func (r Report) String() string {
	var b strings.Builder
	for i, e := range r.Entries {
		fmt.Fprintf(&b, "%d. %s: ", i+1, e.Source)
		switch {
		case !e.Found:
			b.WriteString(e.Problem)
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
		b.WriteString("no source holds a key\n")
	}
	return b.String()
}
