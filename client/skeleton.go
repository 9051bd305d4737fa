// SKELETON — being replaced by the client work (issue 4). The exported names
// and signatures here are fixed; delete this file when done.
package client

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/apikit/apikit-go/credentials"
)

type Client struct{}

type Option func(*Client) error

func New(opts ...Option) (*Client, error)         { return nil, errors.New("TODO") }
func WithService(Service) Option                  { return nil }
func WithAPIKey(string) Option                    { return nil }
func WithCredentials(credentials.Provider) Option { return nil }
func WithBaseURL(string) Option                   { return nil }
func WithHTTPClient(*http.Client) Option          { return nil }
func WithMaxRetries(int) Option                   { return nil }
func WithLogger(*slog.Logger) Option              { return nil }
func (*Client) Do(ctx context.Context, method, path string, in, out any) error {
	return errors.New("TODO")
}
func (*Client) Credential(ctx context.Context) (credentials.Credential, error) {
	return credentials.Credential{}, errors.New("TODO")
}
