package keys

// Env is the environment a key belongs to, as its prefix says.
type Env int

// The environments a key can belong to.
const (
	EnvUnknown Env = iota // the format has no notion of environment
	EnvLive               // a production key: requests are real and billed
	EnvTest               // a test key: requests are free and not real
)

// String returns "live", "test" or "unknown".
func (e Env) String() string {
	switch e {
	case EnvLive:
		return "live"
	case EnvTest:
		return "test"
	}
	return "unknown"
}
