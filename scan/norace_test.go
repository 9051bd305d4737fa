//go:build !race

package scan

// raceEnabled says the tests run under -race.
const raceEnabled = false
