package filewatch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apikit/apikit-go/credentials/filewatch"
)

// A process reads its key from a mounted secret and hears when a rotation
// replaces it; with a client, pass c.ResetCredential as the callback, and
// the next request reads the new key.
func ExampleFile_Watch() {
	dir, _ := os.MkdirTemp("", "secret")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "api-key")
	_ = os.WriteFile(path, []byte("hd_live_"+strings.Repeat("Zx81mQ2n", 3)+"R5tVaB1c\n"), 0o600)

	f, err := filewatch.New(path)
	if err != nil {
		panic(err)
	}
	cred, _ := f.Retrieve(context.Background())
	fmt.Println("key:", cred.Key)

	changed := make(chan struct{}, 1)
	w, err := f.Watch(context.Background(), func() { changed <- struct{}{} })
	if err != nil {
		panic(err)
	}
	defer w.Close()

	_ = os.WriteFile(path+".new", []byte("hd_live_"+strings.Repeat("Yq52nP8r", 3)+"T3vWaC0e\n"), 0o600)
	_ = os.Rename(path+".new", path) // as a deploy replaces a file
	<-changed
	cred, _ = f.Retrieve(context.Background())
	fmt.Println("key:", cred.Key)
	// Output:
	// key: hd_live_…aB1c
	// key: hd_live_…aC0e
}
