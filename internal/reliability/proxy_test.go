package reliability

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// rig is a clienttest server behind a Toxiproxy proxy, and a key for it.
type rig struct {
	srv   *clienttest.Server
	proxy *toxiproxy.Proxy
	key   keys.Key
	base  string // the proxy's URL: clients talk to it
	mu    sync.Mutex
	tr    []*http.Transport
}

func newRig(t *testing.T) *rig {
	t.Helper()
	srv := clienttest.NewServer(client.Hypedata)
	p := newProxy(t, srv.URL)
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "rig", Scopes: []string{"scrape", "jobs", "admin", "billing"}})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{srv: srv, proxy: p, key: key, base: "http://" + p.Listen}
	t.Cleanup(func() {
		r.closeIdle()
		srv.Close()
	})
	return r
}

// newProxy starts a Toxiproxy proxy on loopback to the server at url
// (http://host:port), stopped at cleanup.
func newProxy(t *testing.T, url string) *toxiproxy.Proxy {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "api", "127.0.0.1:0", strings.TrimPrefix(url, "http://"))
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// closeIdle closes the idle connections of every client the rig made.
func (r *rig) closeIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, tr := range r.tr {
		tr.CloseIdleConnections()
	}
}

// transport returns a fresh transport, closed at the rig's cleanup.
func (r *rig) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	r.mu.Lock()
	r.tr = append(r.tr, tr)
	r.mu.Unlock()
	return tr
}

// The retry waits of the rig's clients: fast, so that four attempts take
// little more than the attempts themselves.
const (
	fastWaitMin = client.DefaultRetryWaitMin / 100 // 5 ms
	fastWaitMax = client.DefaultRetryWaitMin / 50  // 10 ms
)

// client returns a client through the proxy with its own transport (closed
// at cleanup) and fast retries.
func (r *rig) client(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	base := []client.Option{client.WithBaseURL(r.base), client.WithHTTPClient(&http.Client{Transport: r.transport()}),
		client.WithRetryWait(fastWaitMin, fastWaitMax)}
	c, err := r.srv.NewClient(r.key, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// toxic adds a toxic by its JSON description.
func (r *rig) toxic(t *testing.T, js string) {
	t.Helper()
	if _, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("adding toxic %s: %v", js, err)
	}
}

// clear removes every toxic.
func (r *rig) clear() { r.proxy.Toxics.ResetToxics(context.Background()) }

// clearAfterCut removes every toxic once the links of the connections a
// toxic has cut have finished. Toxiproxy (v2.12) deadlocks when its toxics
// are reset while a link is removing itself: ResetToxics holds the
// collection's lock while it interrupts the dying link's toxics, and that
// link's writer waits for the same lock in RemoveLink. The client has
// closed the cut connection when this runs (it is called from the retry
// hook, before the reconnection), so its links end promptly; the wait is
// bounded all the same.
func (r *rig) clearAfterCut() {
	deadline := time.Now().Add(5 * time.Second)
	for r.links() > 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond) // polling Toxiproxy's state: it has no notification
	}
	r.clear()
}

// links counts the proxy's live links (two per proxied connection), read
// under the collection's own lock: Toxiproxy does not export the count.
func (r *rig) links() int {
	tc := r.proxy.Toxics
	tc.Lock()
	defer tc.Unlock()
	return reflect.ValueOf(tc).Elem().FieldByName("links").Len()
}
