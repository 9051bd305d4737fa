package scan

// exampleFingerprints are the fingerprints of keys published as examples:
// in the vendors' documentation (Hypedata's and HopX's key pages), jwt.io's
// sample token, and the UUIDs of RFC 9562 and Wikipedia. They are
// fingerprints, not keys, so that this file is no finding of its own.
var exampleFingerprints = map[string]bool{
	"fp_ob5kY9w4TMKD": true, // Hypedata's docs: hd_live_…E3gH
	"fp_1I0Hq17MavPp": true, // HopX's docs: hopx_live_…Aqps
	"fp_f3U2fniBJVE0": true, // jwt.io's HS256 sample token
	"fp_mGwNyVbcgitd": true, // the UUID in Wikipedia's UUID article
	"fp_o6nh7ZcyyrKI": true, // a UUID common in documentation (550e8400-…)
	"fp_MKUVS3eriy3b": true, // RFC 4122/9562's example UUID
}

func isExample(fp string) bool { return exampleFingerprints[fp] }
