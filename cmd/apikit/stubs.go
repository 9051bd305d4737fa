package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
)

func diagnose(ctx context.Context, a *app, svc client.Service, profile string) credentials.Report {
	return credentials.Diagnose(ctx, formatOf(svc), a.sources(svc, profile)...)
}

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "status [<service>]", Short: "Show which key each service would use, from where", RunE: func(*cobra.Command, []string) error { return errNotImplemented }}
}
func newDoctorCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "doctor", Short: "Find every misconfiguration, each with its fix", RunE: func(*cobra.Command, []string) error { return errNotImplemented }}
}
func newKeysCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "keys", Short: "Manage the service's keys"}
}
