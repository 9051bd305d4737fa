// SKELETON — being replaced by the credentials work (issue 3). The exported
// names and signatures here are fixed; delete this file when done.
package credentials

import (
	"context"
	"errors"

	"github.com/apikit/apikit-go/keys"
)

type Provider interface {
	Retrieve(ctx context.Context) (Credential, error)
}

type ProviderFunc func(ctx context.Context) (Credential, error)

func (f ProviderFunc) Retrieve(ctx context.Context) (Credential, error) { return f(ctx) }

type Credential struct {
	Key    keys.Key
	Source Source
}

type Source struct{ Kind, Detail string }

func (s Source) String() string { return s.Kind + " " + s.Detail }

func Static(key string) Provider                        { return nil }
func Env(names ...string) Provider                      { return nil }
func DotEnv(path string, names ...string) Provider      { return nil }
func ConfigFile(path, profile, service string) Provider { return nil }
func Chain(providers ...Provider) Provider              { return nil }

type Cache struct{}

func NewCache(p Provider) *Cache { return &Cache{} }
func (c *Cache) Retrieve(ctx context.Context) (Credential, error) {
	return Credential{}, errors.New("TODO")
}
func (c *Cache) Invalidate() {}

type Config struct{}
type ServiceConfig struct{ BaseURL string }

func LoadConfig(path string) (*Config, error) { return nil, errors.New("TODO") }
func (c *Config) Service(profile, service string) (ServiceConfig, bool) {
	return ServiceConfig{}, false
}
