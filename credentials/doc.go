// Package credentials finds API keys, says where each came from, and
// explains every failure to find one.
//
// A Provider yields a Credential: a validated [keys.Key] and the [Source]
// it came from ("env HYPEDATA_API_KEY", ".env file /app/.env
// (HYPEDATA_API_KEY)", `config file ~/.config/apikit/config.yaml, profile
// "prod", hypedata`, "command op read …", "explicit option").
//
// # Search order
//
// The client builds this chain for a service; the first source that holds a
// value wins:
//
//  1. An explicit key or provider given to the client (client.WithAPIKey,
//     client.WithCredentials).
//  2. The service's environment variable, e.g. HYPEDATA_API_KEY.
//  3. The same name in the file .env in the working directory, read with
//     godotenv's parser; the process environment is never modified.
//  4. The config file: $APIKIT_CONFIG_FILE, else
//     <os.UserConfigDir()>/apikit/config.yaml; profile $APIKIT_PROFILE, else
//     "default"; the service's section holds api_key, or api_key_command (a
//     program, run without a shell, whose output is the key).
//
// A source that holds something it cannot use — a value that is not a
// valid key, a file that is there but cannot be read (permission denied, a
// directory or named pipe in its place) or parsed, a key command that fails
// — is a *SourceError naming that source: the chain never falls through to
// a lower source silently. errors.Is sees through it (a malformed key
// matches apierrors.ErrMalformedToken). Only a source that holds nothing
// (a variable not set or empty, a file that does not exist, a profile or
// section that is not there) lets the search go on. When no source holds a
// key, the error is a *NotFoundError, for which errors.Is(err,
// apierrors.ErrMissingCredentials) holds; it lists every place looked, in
// order, with why it gave nothing, and what to set.
//
// No error, Source or report of this package holds a key or a recognisable
// part of one: values are never quoted, and text that comes from elsewhere
// (a command's arguments and stderr, names in a config file) has anything
// key-shaped redacted before it is shown or shortened.
//
// [Diagnose] reports every source at once — which holds a key, which wins,
// which it shadows — for when "the wrong key is being used".
//
// The config file looks like this:
//
//	profiles:
//	  default:
//	    hypedata: { api_key: hd_test_... }
//	  prod:
//	    hypedata: { api_key_command: [op, read, "op://prod/hypedata/key"], base_url: https://api.hypedata.io }
//
// The file can name a command to run and where a key is sent, so it is
// trusted as ssh trusts its own config: a file (or a symbolic link to it, or
// the directory holding either) that another user owns (root aside) or that
// its group or others can write is refused whatever it holds, with the path
// at fault and the fix. One that holds a literal api_key must also be
// readable by its owner only (chmod 600), as ssh requires of private keys.
package credentials
