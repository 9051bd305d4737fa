// Command scanbench generates the corpus scripts/scanbench/run measures
// the leak scanner and gitleaks on, and runs the scanner over it.
//
//	go run ./scripts/scanbench gen -dir /tmp/corpus -mb 128
//	go run ./scripts/scanbench scan /tmp/corpus
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/apikit/apikit-go/internal/scancorpus"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/scan"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scanbench gen -dir DIR [-mb N] [-seed S] | scanbench scan DIR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "scan":
		err = scanDir(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q: want gen or scan", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

type rngReader struct{ r *rand.Rand }

func (g rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
	return len(p), nil
}

// gen writes files of about 1 MiB of generated text, with a key planted
// about every 256 KiB (a random format, raw or base64-encoded), and prints
// how many it planted.
func gen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fl.String("dir", "", "directory to write the corpus into")
	mb := fl.Int("mb", 128, "corpus size in MiB")
	seed := fl.Uint64("seed", 1, "random seed")
	keyless := fl.Bool("keyless", false, "plant no key: the text a pre-commit hook or CI scan mostly reads")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("gen: -dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, *seed+1))
	formats := []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync, keys.Web3Storage}
	planted := 0
	for i := 0; i < *mb; i++ {
		var w bytes.Buffer
		for w.Len() < 1<<20 {
			scancorpus.Filler(&w, r, 256<<10)
			if *keyless {
				continue
			}
			f := formats[r.IntN(len(formats))]
			env := keys.EnvLive
			if len(f.Prefixes) == 0 {
				env = keys.EnvUnknown
			}
			k, err := f.Generate(env, rngReader{r})
			if err != nil {
				return err
			}
			text := k.Reveal()
			if r.IntN(2) == 0 {
				text = base64.StdEncoding.EncodeToString([]byte(text))
			}
			if f == keys.HyperSync {
				text = "ENVIO_API_TOKEN=" + text
			} else {
				text = "API_KEY=" + text
			}
			w.WriteString(text + "\n")
			planted++
		}
		if err := os.WriteFile(filepath.Join(*dir, fmt.Sprintf("file%04d.txt", i)), w.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("planted %d keys in %d MiB under %s\n", planted, *mb, *dir)
	return nil
}

// scanDir scans every file under the directories given, one after the
// other on one goroutine, and prints the findings, bytes and throughput.
func scanDir(dirs []string) error {
	s, err := scan.New()
	if err != nil {
		return err
	}
	var total int64
	found := 0
	start, cpu0 := time.Now(), cpuTime()
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			err = s.Scan(context.Background(), f, func(scan.Finding) error { found++; return nil })
			if st, serr := f.Stat(); serr == nil {
				total += st.Size()
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	// The CPU time too: on a shared machine the wall time counts the
	// waits for a core.
	fmt.Printf("apikit scan: %d findings in %d bytes, %.3fs, %.0f MB/s, %.0f MB/cpu-s\n", found, total, el.Seconds(),
		float64(total)/el.Seconds()/1e6, float64(total)/cpu.Seconds()/1e6)
	return nil
}
