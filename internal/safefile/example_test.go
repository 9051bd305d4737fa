package safefile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apikit/apikit-go/internal/safefile"
)

func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "config.yaml")
	_ = os.WriteFile(p, []byte("profiles: {}\n"), 0o600)
	_ = os.Chmod(p, 0o666) // as a careless umask or another user left it

	for _, pr := range safefile.Audit(p) {
		fmt.Println(pr.What)
		fmt.Println(pr.Fix == "chmod go-w "+p)
	}
	// Output:
	// is writable by its group and by others (mode 0666)
	// true
}
