package client

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A key object as OpenAPI mocks and other real APIs spell it: camelCase.
const camelKey = `{"id":"key_c1","name":"ci","environment":"test","redacted":"sk_test_…0wY1",` +
	`"scopes":["scrape"],"allowedIps":["10.0.0.1"],"creditCeiling":50,"creditsUsed":3,"rateLimitPerSecond":5,` +
	`"rateLimitPerHour":100,"monthlyRequestLimit":1000,"expiresAt":null,"createdAt":"2026-11-27T10:00:00Z",` +
	`"lastUsedAt":"2026-11-27T11:00:00Z","revokedAt":null,"revokedReason":""}`

// The same in snake_case, as docs/PROTOCOL.md and clienttest spell it.
const snakeKey = `{"id":"key_c1","name":"ci","environment":"test","redacted":"sk_test_…0wY1",` +
	`"scopes":["scrape"],"allowed_ips":["10.0.0.1"],"credit_ceiling":50,"credits_used":3,"rate_limit_per_second":5,` +
	`"rate_limit_per_hour":100,"monthly_request_limit":1000,"expires_at":null,"created_at":"2026-11-27T10:00:00Z",` +
	`"last_used_at":"2026-11-27T11:00:00Z","revoked_at":null,"revoked_reason":""}`

// withSecret adds "secret" to a key object.
func withSecret(obj string) string {
	return strings.TrimSuffix(obj, "}") + `,"secret":"` + testKey + `"}`
}

func checkKeyInfo(t *testing.T, k KeyInfo) {
	t.Helper()
	created := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if k.ID != "key_c1" || k.Name != "ci" || !k.CreatedAt.Equal(created) || k.LastUsedAt == nil ||
		len(k.AllowedIPs) != 1 || k.CreditCeiling != 50 || k.CreditsUsed != 3 || k.RateLimitPerSecond != 5 ||
		k.RateLimitPerHour != 100 || k.MonthlyRequestLimit != 1000 {
		t.Errorf("KeyInfo = %+v", k)
	}
}

// TestKeysCreateResponseShapes: Create reads the key however the service
// wraps and spells it, and never returns an empty id with a nil error.
func TestKeysCreateResponseShapes(t *testing.T) {
	shapes := map[string]string{
		"bare, snake_case":                   withSecret(snakeKey),
		"bare, camelCase":                    withSecret(camelKey),
		"data-wrapped (an OpenAPI mock)":     `{"data":` + withSecret(snakeKey) + `}`,
		"data-wrapped, camelCase":            `{"data":` + withSecret(camelKey) + `}`,
		"data-wrapped, secret beside it":     `{"data":` + camelKey + `,"secret":"` + testKey + `"}`,
		"success and data (Hypersave style)": `{"success":true,"data":` + withSecret(snakeKey) + `}`,
		"key-wrapped":                        `{"key":` + withSecret(camelKey) + `}`,
	}
	for name, body := range shapes {
		t.Run(name, func(t *testing.T) {
			srv := newScripted(t, reply(201, body))
			c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
			nk, err := c.Keys().Create(context.Background(), CreateKeyParams{Name: "ci"})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			checkKeyInfo(t, nk.KeyInfo)
			if nk.Secret.Reveal() != testKey {
				t.Errorf("secret %v", nk.Secret)
			}
		})
	}
}

// TestKeysCreateUnreadableAnswer: an answer in which no key can be found is
// an error that says what the answer held (member names, never values),
// not a NewKey with an empty id.
func TestKeysCreateUnreadableAnswer(t *testing.T) {
	for name, body := range map[string]string{
		"no id":               `{"data":{"name":"ci","secret":"` + testKey + `"}}`,
		"an unknown wrapper":  `{"result":` + withSecret(snakeKey) + `}`,
		"empty object":        `{}`,
		"no secret":           `{"data":` + snakeKey + `}`,
		"a list, not the key": `{"data":[` + withSecret(snakeKey) + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newScripted(t, reply(201, body))
			c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
			nk, err := c.Keys().Create(context.Background(), CreateKeyParams{Name: "ci"})
			if err == nil {
				t.Fatalf("Create = %+v, nil error", nk)
			}
			if strings.Contains(err.Error(), testKey[8:16]) {
				t.Fatalf("the error quotes the secret: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestKeysListResponseShapes: List reads createdAt as well as created_at,
// and a bare array as well as {"data": [...]}.
func TestKeysListResponseShapes(t *testing.T) {
	for name, body := range map[string]string{
		"data, snake_case": `{"data":[` + snakeKey + `]}`,
		"data, camelCase":  `{"data":[` + camelKey + `]}`,
		"bare array":       `[` + camelKey + `]`,
		"keys":             `{"keys":[` + camelKey + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newScripted(t, reply(200, body))
			c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
			list, err := c.Keys().List(context.Background())
			if err != nil || len(list) != 1 {
				t.Fatalf("List = %+v, %v", list, err)
			}
			checkKeyInfo(t, list[0])
		})
	}
	for name, body := range map[string]string{
		"an unknown wrapper":  `{"items":[` + snakeKey + `]}`,
		"an entry without id": `{"data":[{"name":"x"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newScripted(t, reply(200, body))
			c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
			if list, err := c.Keys().List(context.Background()); err == nil {
				t.Fatalf("List = %+v, nil error", list)
			}
		})
	}
	srv := newScripted(t, reply(200, `{"data":[]}`))
	c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
	if list, err := c.Keys().List(context.Background()); err != nil || len(list) != 0 {
		t.Errorf("an empty list: %+v, %v", list, err)
	}
}

// TestKeysGetUsageShapes: Get and Usage unwrap and read camelCase too.
func TestKeysGetUsageShapes(t *testing.T) {
	srv := newScripted(t, reply(200, `{"data":`+camelKey+`}`),
		reply(200, `{"data":{"keyId":"key_c1","requests":7,"credits":2,"periodStart":"2026-11-01T00:00:00Z"}}`))
	c, _ := newTestClient(t, srv, WithService(Service{Name: "t", BaseURL: srv.URL, Auth: AuthBearer, KeysPath: "/v1/keys"}))
	k, err := c.Keys().Get(context.Background(), "key_c1")
	if err != nil {
		t.Fatal(err)
	}
	checkKeyInfo(t, *k)
	u, err := c.Keys().Usage(context.Background(), "key_c1")
	if err != nil || u.KeyID != "key_c1" || u.Requests != 7 || u.PeriodStart.IsZero() {
		t.Errorf("Usage = %+v, %v", u, err)
	}
}

// FuzzKeyAnswers: the readers of key-management answers never panic, and a
// key they return always has an id.
func FuzzKeyAnswers(f *testing.F) {
	f.Add([]byte(`{"data":` + withSecret(camelKey) + `}`))
	f.Add([]byte(`[` + snakeKey + `]`))
	f.Add([]byte(`{"data":{"id":"","ID":"x","Id":"y"}}`))
	f.Add([]byte(`{"keys":[null,1,"x"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, _, _, err := readKey(b); err == nil && k.ID == "" {
			t.Fatalf("readKey(%q) = a key without an id, nil error", b)
		}
		_, _ = unwrapList(b)
		_, _ = readUsage(b, "x")
		_, _ = readIdentity(b)
	})
}
