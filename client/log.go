package client

import (
	"context"
	"log/slog"

	apierrors "github.com/apikit/apikit-go/errors"
)

// logf writes an info line when a logger is set. Callers never pass the
// key: keys in attributes are its fingerprint.
func (c *Client) logf(ctx context.Context, msg string, args ...any) {
	if c.logger == nil {
		return
	}
	c.logger.Log(ctx, slog.LevelInfo, msg, args...)
}

// logAttempt writes the debug line of one attempt.
func (c *Client) logAttempt(ctx context.Context, k *call, status int, code apierrors.Code, requestID string, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", k.method), slog.String("path", k.path), slog.Int("attempt", k.attempts),
	}
	if k.key != nil {
		attrs = append(attrs, slog.String("key", k.key.fp))
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if code != "" {
		attrs = append(attrs, slog.String("code", string(code)))
	}
	if requestID != "" {
		attrs = append(attrs, slog.String("request_id", requestID))
	}
	if err != nil {
		msg := stripURL(err).Error()
		if k.key != nil {
			msg = k.key.red.Redact(msg)
		}
		attrs = append(attrs, slog.String("error", msg))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "apikit: attempt", attrs...)
}

// logRetry writes the info line of a retry.
func (c *Client) logRetry(ctx context.Context, ev RetryEvent) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", ev.Method), slog.String("path", ev.Path), slog.Int("attempt", ev.Attempt),
		slog.Duration("wait", ev.Wait), slog.Bool("server_asked", ev.ServerAsked), slog.String("reason", ev.Reason),
		slog.String("key", ev.KeyFingerprint),
	}
	if ev.StatusCode != 0 {
		attrs = append(attrs, slog.Int("status", ev.StatusCode), slog.String("code", string(ev.Code)))
	}
	if ev.RequestID != "" {
		attrs = append(attrs, slog.String("request_id", ev.RequestID))
	}
	c.logger.LogAttrs(ctx, slog.LevelInfo, "apikit: retrying", attrs...)
}
