package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
)

// versionInfo is what apikit version prints (--json: this object).
type versionInfo struct {
	Version string `json:"version"` // apikit's, which is the SDK's: they are released together
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func currentVersion() versionInfo {
	return versionInfo{Version: client.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// versionLine is the one line apikit --version and apikit version print.
func (v versionInfo) line() string {
	return fmt.Sprintf("apikit %s (apikit-go SDK %s, %s, %s/%s)", v.Version, v.Version, v.Go, v.OS, v.Arch)
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print apikit's version (also apikit --version)",
		Example: "  apikit version\n  apikit version --json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := currentVersion()
			return a.emit(v, func(w io.Writer) { fmt.Fprintln(w, v.line()) })
		},
	}
}
