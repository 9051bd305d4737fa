package client

import (
	"errors"
	"fmt"
)

// WithoutKey makes a client that sends no key at all, for a service that
// serves some callers without one (Service.KeyOptional: HyperSync serves
// indexers deployed on Envio Cloud without a token). It is the only way to
// send no key: a client whose key is merely missing fails with
// apierrors.ErrMissingCredentials instead of going out keyless. New refuses
// it for a service whose profile does not allow it, and together with
// WithAPIKey or WithCredentials.
func WithoutKey() Option {
	return func(o *settings) error {
		o.withoutKey = true
		return nil
	}
}

// keylessResolved is the credential of a WithoutKey client: nothing to
// attach.
var keylessResolved = &resolved{none: true, fp: "fp_keyless"}

// setKeyless configures a WithoutKey client, or says why it cannot be one.
func (c *Client) setKeyless(s *settings) error {
	if s.apiKeySet || s.provider != nil {
		return errors.New("client: WithoutKey together with WithAPIKey or WithCredentials; a client either sends a key or sends none, so pass one of them")
	}
	if !c.svc.KeyOptional {
		return fmt.Errorf("client: WithoutKey: service %s needs a key on every request (its profile's KeyOptional is false); set %s, or pass WithAPIKey", c.svc.Name, c.svc.EnvVar)
	}
	if s.requireEnv != 0 {
		return errors.New("client: WithoutKey together with WithRequireEnv; a client that sends no key has no key environment to require")
	}
	c.keyless, c.static = true, true
	return nil
}
