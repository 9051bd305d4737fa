// Package scan finds API keys in text: keys of every format the SDK knows
// (Hypedata, Hypersave, HopX, HyperSync, web3.storage) and of any
// [keys.Format] you declare, written out raw or base64-encoded (standard or
// URL alphabet, padded or not, alone or inside a longer base64 run), in any
// [io.Reader], with the line and column of each. docs/SCANNING.md in the
// repository has the details and the figures.
//
// It is built to run on every commit and over whole repositories, so it is
// fast (over 1 GB/s on one core over text without keys) and exact rather
// than heuristic:
//
//   - a prefilter searches the raw bytes for the formats' fixed prefixes, and
//     for the base64 forms of those prefixes in each of the three byte
//     alignments a key can have inside a base64 run;
//   - every candidate is then parsed with its format's own parser, so a
//     finding is a key the SDK would accept;
//   - a UUID (a HyperSync token) is reported only when a word naming its
//     service ("envio" or "hypersync", any case, as in ENVIO_API_TOKEN=) is
//     before it on its line or on the line above, or after it on its line,
//     within 256 bytes; a JWT (a web3.storage token) only when it parses as
//     one;
//   - placeholders (hd_live_xxxx…, long runs of one character, "example",
//     "your_key", counting sequences) and the vendors' documentation
//     examples are not reported ([WithExamples] reports the latter, marked).
//
// Input is read in chunks that overlap by the longest key's extent, so memory
// stays bounded whatever the input size or line length, and a key across a
// chunk boundary is found exactly once.
//
// A [Finding] never holds the secret: only the redacted key, its
// fingerprint and where it was found. Every way of printing a Finding (String,
// every fmt verb, encoding/json) shows only those. [WithKeys] adds the parsed
// [keys.Key], which redacts itself in turn, for programs that must act on the
// key (revoke it, say).
package scan
