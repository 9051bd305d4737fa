package credentials

// Source is where a key was found or looked for. Its String form is what
// every message of this package uses to name the place, so a person can go
// and look: "env HYPEDATA_API_KEY", ".env file /app/.env (HYPEDATA_API_KEY)".
type Source struct {
	// Kind is one of the Kind constants, or a custom provider's own word
	// ("secret store", "vault").
	Kind string
	// Detail says which variable, file, profile or command; "" when the kind
	// says it all (KindExplicit). It never holds a key: providers redact
	// anything key-shaped before putting it here.
	Detail string
}

// The kinds of source this package knows.
const (
	KindExplicit = "explicit option"
	KindEnv      = "env"
	KindDotEnv   = ".env file"
	KindConfig   = "config file"
	KindCommand  = "command"
)

// String renders the source for a person: "env HYPEDATA_API_KEY",
// ".env file /app/.env (HYPEDATA_API_KEY)", "explicit option".
//
// Anything key-shaped in the detail is shown as "[redacted]": a key passed
// where a name belongs (APIKIT_PROFILE=<key>, credentials.Env(<key>)) must
// not come back in a message.
func (s Source) String() string {
	if s.Detail == "" {
		return s.Kind
	}
	return s.Kind + " " + redactKeys(s.Detail, false)
}
