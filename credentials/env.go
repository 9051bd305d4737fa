package credentials

import (
	"context"
	"os"
)

// Env yields the first of the named environment variables that is set and
// not empty (an empty variable is a place with no key, so the search goes
// on). It reads the environment at each Retrieve. A variable that holds
// something that is not a key, whitespace only included, is a *SourceError.
func Env(names ...string) Provider {
	return ProviderFunc(func(context.Context) (Credential, error) {
		var tried []Attempt
		for _, name := range names {
			src := Source{Kind: KindEnv, Detail: name}
			v, ok := os.LookupEnv(name)
			switch {
			case !ok:
				tried = append(tried, attempt(src, "not set", "set "+name))
			case v == "":
				tried = append(tried, attempt(src, "set but empty", "set "+name))
			default:
				return found(v, src)
			}
		}
		return Credential{}, &NotFoundError{Tried: tried}
	})
}
