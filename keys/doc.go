// Package keys treats an API key as a value: it knows the shapes of keys,
// proves a string is a well-formed key before any byte of it leaves the
// process, and makes sure the key never shows up where it should not.
//
// # Formats
//
// A [Format] describes one service's keys declaratively: the prefixes and
// the environment each means ("hd_live_" is [EnvLive], "hd_test_" is
// [EnvTest]), an optional public key id before a separator, the characters
// and length of the secret, and an optional Check func for anything else.
// Built-in formats cover the services the SDK was modelled on: [Hypedata],
// [Hypersave], [HopX], [HyperSync] (a UUID) and [Web3Storage] (a JWT, whose
// exp is checked). [Opaque] accepts any printable key, for services without
// a declared shape.
//
// # Parsing
//
// [Parse] validates a string against one or more formats (every built-in
// when none is given) and returns a [Key]. When it fails, the *[ParseError]
// says precisely what is wrong — surrounding whitespace or a newline, a
// byte-order mark, a wrong prefix, a wrong length, a bad character at
// position N, a missing separator, not a UUID, not a JWT, an expired JWT —
// and never quotes the key. Every such error matches
// apierrors.ErrMalformedToken (apierrors.ErrExpired for an expired JWT)
// with errors.Is, where apierrors is this module's errors package:
//
//	import apierrors "github.com/apikit/apikit-go/errors"
//
// # Redaction
//
// A Key prints itself redacted — the public prefix, an ellipsis and the last
// four characters, "hd_live_…9fQx" — under every fmt verb, in log/slog, in
// encoding/json and through encoding.TextMarshaler, also when it sits in a
// field of your own struct, exported or not. [Key.Reveal] is the one way to
// get the secret back, for the moment it goes on the wire.
//
// # Fingerprints
//
// [Key.Fingerprint] is a short one-way identifier of a key ("fp_" and 12
// characters of its SHA-256), so that logs and metrics can tell keys apart,
// and see a rotation happen, without holding any of them.
//
// # Custom formats
//
// Declare a Format for a service the SDK does not know, parse with it, and
// use [Format.Generate] to make well-formed test keys of that shape:
//
//	acme := &keys.Format{
//		Name:      "Acme",
//		Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
//		Charset:   keys.Alphanumeric,
//		MinLength: 24, MaxLength: 24,
//	}
//	k, err := keys.Parse(os.Getenv("ACME_API_KEY"), acme)
package keys
