package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// hookMarker identifies a pre-commit hook apikit wrote, so that it can be
// replaced without --force.
const hookMarker = "# installed by apikit scan install-hook"

func newInstallHookCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "install-hook",
		Short: "Install a Git pre-commit hook that refuses commits adding a key",
		Long: `Install a pre-commit hook in the current Git repository that runs
apikit scan --staged: a commit whose staged lines add a key is refused, with
where the key is. An existing hook that apikit did not write is kept unless
--force is given; add "apikit scan --staged" to it instead.

git commit --no-verify skips the hook, for the rare commit that must.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			dir, err := hooksDir(ctx)
			if err != nil {
				return scanFailed(err)
			}
			hook := filepath.Join(dir, "pre-commit")
			old, err := os.ReadFile(hook)
			switch {
			case err == nil && !strings.Contains(string(old), hookMarker) && !force:
				return scanFailed(fmt.Errorf("%s exists and apikit did not write it: add the line `apikit scan --staged` to it, or run apikit scan install-hook --force to replace it", hook))
			case err != nil && !errors.Is(err, os.ErrNotExist):
				return scanFailed(fmt.Errorf("reading %s: %w", hook, err))
			}
			exe, err := os.Executable()
			if err != nil {
				exe = "apikit"
			} else if p, err := filepath.EvalSymlinks(exe); err == nil {
				exe = p
			}
			// The apikit that installed the hook, or the one on PATH if
			// that one has moved since.
			script := "#!/bin/sh\n" + hookMarker + "\n" +
				"# Refuses a commit whose staged lines add an API key. Skip once with git commit --no-verify.\n" +
				"apikit=" + shellQuote(exe) + "\n" +
				"[ -x \"$apikit\" ] || apikit=apikit\n" +
				"exec \"$apikit\" scan --staged\n"
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return scanFailed(err)
			}
			if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
				return scanFailed(fmt.Errorf("writing %s: %w", hook, err))
			}
			if err := os.Chmod(hook, 0o755); err != nil {
				return scanFailed(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s: a commit that adds a key is refused (git commit --no-verify skips the check)\n", hook)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a pre-commit hook apikit did not write")
	return cmd
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hooksDir returns the folder git runs the current repository's hooks
// from: core.hooksPath when it is set (relative to the work tree's top),
// else the hooks folder of the common Git directory. It asks git config
// rather than git rev-parse --git-path hooks, since apikit runs git with
// core.hooksPath neutralised.
func hooksDir(ctx context.Context) (string, error) {
	common, err := gitOutput(ctx, ".", "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("install-hook must run in a Git repository: %w", err)
	}
	if hp, err := gitConfigGet(ctx, ".", "core.hooksPath"); err == nil && strings.TrimSpace(string(hp)) != "" {
		dir := strings.TrimSpace(string(hp))
		if !filepath.IsAbs(dir) {
			top, err := gitOutput(ctx, ".", "rev-parse", "--show-toplevel")
			if err != nil {
				return "", fmt.Errorf("core.hooksPath is relative (%s) and this repository has no work tree: %w", dir, err)
			}
			dir = filepath.Join(strings.TrimSpace(string(top)), dir)
		}
		return dir, nil
	}
	return filepath.Join(strings.TrimSpace(string(common)), "hooks"), nil
}
