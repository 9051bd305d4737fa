package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Every provider whose source holds something bad answers a *SourceError
// naming that source, through which errors.Is still sees the problem.
func TestSourceErrorFromEveryProvider(t *testing.T) {
	dir := isolate(t)
	t.Setenv("BAD_ENV_KEY", envKey+"\n")
	dotenv := writeFile(t, dir, "bad.env", "HYPEDATA_API_KEY='"+dotKey+" '\n", 0o600)
	config := writeFile(t, dir, "bad.yaml", "profiles:\n  default:\n    hypedata: { api_key: \" "+fileKey+"\" }\n", 0o600)
	cases := []struct {
		name     string
		p        Provider
		kind     string
		sentinel error
	}{
		{"Static", Static("hd_live_x y"), KindExplicit, apierrors.ErrMalformedToken},
		{"Env", Env("BAD_ENV_KEY"), KindEnv, apierrors.ErrMalformedToken},
		{"DotEnv", DotEnv(dotenv, "HYPEDATA_API_KEY"), KindDotEnv, apierrors.ErrMalformedToken},
		{"ConfigFile", ConfigFile(config, "default", "hypedata"), KindConfig, apierrors.ErrMalformedToken},
		{"Command", Command(helper(t, "fail")...), KindCommand, nil},
		{"Validated", Validated(Static("hd_live_short"), keys.Hypedata), KindExplicit, apierrors.ErrMalformedToken},
		{"Chain", Chain(Env("UNSET_VAR_FOR_TEST"), Validated(Env("BAD_ENV_KEY"), keys.Hypedata)), KindEnv, apierrors.ErrMalformedToken},
	}
	for _, tc := range cases {
		_, err := tc.p.Retrieve(context.Background())
		var se *SourceError
		if !errors.As(err, &se) || se.Source.Kind != tc.kind {
			t.Errorf("%s: err = %v, want a *SourceError of kind %q", tc.name, err, tc.kind)
			continue
		}
		if err.Error() != se.Source.String()+": "+se.Err.Error() {
			t.Errorf("%s: text %q", tc.name, err)
		}
		if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: errors.Is(err, %v) is false: %v", tc.name, tc.sentinel, err)
		}
	}
}

func TestSourceErrorZeroValues(t *testing.T) {
	var nilErr *SourceError
	if nilErr.Error() != "<nil>" || nilErr.Unwrap() != nil {
		t.Error("nil *SourceError")
	}
	e := &SourceError{Source: Source{Kind: KindEnv, Detail: "X"}}
	if e.Error() != "env X: unusable (no reason given)" || e.Unwrap() != nil {
		t.Errorf("no Err: %q", e.Error())
	}
}

// An empty variable holds no key: the search goes on. One of only
// whitespace is set, but blank: an error that says so.
func TestEnvEmptyAndBlank(t *testing.T) {
	t.Setenv("EMPTY_KEY_VAR", "")
	cred, err := Chain(Env("EMPTY_KEY_VAR"), Static(envKey)).Retrieve(context.Background())
	if err != nil || cred.Key.Reveal() != envKey {
		t.Fatalf("empty: %v, %v", cred, err)
	}
	_, err = Env("EMPTY_KEY_VAR").Retrieve(context.Background())
	if !errors.Is(err, apierrors.ErrMissingCredentials) || !strings.Contains(err.Error(), "env EMPTY_KEY_VAR: set but empty") {
		t.Fatalf("empty alone: %v", err)
	}
	t.Setenv("BLANK_KEY_VAR", " \t ")
	_, err = Chain(Env("BLANK_KEY_VAR"), Static(envKey)).Retrieve(context.Background())
	if !errors.Is(err, apierrors.ErrMalformedToken) || !strings.Contains(err.Error(), "env BLANK_KEY_VAR: is set but blank") {
		t.Fatalf("blank: %v", err)
	}
}

// Chain stops when the context ends between sources, with the context's
// error, and does not ask the next source.
func TestChainStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	asked := false
	first := ProviderFunc(func(context.Context) (Credential, error) {
		cancel() // the caller gives up while the first source is asked
		return Credential{}, notFound(Source{Kind: "test"}, "nothing", "")
	})
	second := ProviderFunc(func(context.Context) (Credential, error) {
		asked = true
		return cred(t, envKey), nil
	})
	got, err := Chain(first, second).Retrieve(ctx)
	if !errors.Is(err, context.Canceled) || asked || !got.Key.IsZero() {
		t.Fatalf("got %v, %v; second asked: %v", got, err, asked)
	}
}

// A provider that answers neither a key nor an error ends the chain with an
// error; nil providers are skipped.
func TestChainProviderWithoutKey(t *testing.T) {
	empty := ProviderFunc(func(context.Context) (Credential, error) { return Credential{}, nil })
	_, err := Chain(nil, empty, Static(envKey)).Retrieve(context.Background())
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "neither a key nor an error") || !strings.Contains(err.Error(), "provider 2 of the chain") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Validated(nil).Retrieve(context.Background()); err == nil {
		t.Fatal("Validated(nil): no error")
	}
}
