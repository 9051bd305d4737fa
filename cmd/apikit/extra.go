package main

import "github.com/spf13/cobra"

// addExtraCommands registers commands that live in files of their own
// (apikit scan, when present).
func addExtraCommands(root *cobra.Command) {
	root.AddCommand(newScanCmd())
}
