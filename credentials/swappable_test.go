package credentials

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// TestSwappableConcurrent: Set and Retrieve from many goroutines (run with
// -race); every key read is one that was set, whole.
func TestSwappableConcurrent(t *testing.T) {
	var ks []keys.Key
	for _, c := range "abcd" {
		k, err := keys.Parse("hd_live_" + strings.Repeat(string(c), 32))
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	s := NewSwappable(ks[0])
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				if i%2 == 0 {
					s.Set(ks[(i+j)%len(ks)])
					continue
				}
				cred, err := s.Retrieve(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				ok := false
				for _, k := range ks {
					ok = ok || cred.Key.Reveal() == k.Reveal()
				}
				if !ok || cred.Source.Kind != KindSwappable {
					t.Errorf("read %v from %v: not a key that was set", cred.Key, cred.Source)
					return
				}
			}
		}()
	}
	wg.Wait()
}
