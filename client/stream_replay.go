package client

import "hash/maphash"

// replayWindow is how many of the last delivered event IDs a Stream
// remembers to recognise a replay.
const replayWindow = 1024

// recentIDs is a bounded window of the event IDs a Stream delivered, kept
// as seeded hashes (an ID may be as long as a line, 1 MiB): after a
// reconnection, servers that resume inclusively (r3labs/sse sends the event
// whose ID was Last-Event-ID again) or from the start of their buffer
// (tmaxmax/go-sse) send events the caller already has. The zero value is
// ready to use.
type recentIDs struct {
	seed  maphash.Seed
	ring  []uint64
	next  int
	count map[uint64]int
}

// has reports whether id is among the window's IDs.
func (r *recentIDs) has(id string) bool {
	if r.count == nil {
		return false
	}
	return r.count[maphash.String(r.seed, id)] > 0
}

// add puts id in the window, forgetting the oldest when it is full.
func (r *recentIDs) add(id string) {
	if r.count == nil {
		r.seed = maphash.MakeSeed()
		r.count = make(map[uint64]int, replayWindow)
	}
	h := maphash.String(r.seed, id)
	if len(r.ring) < replayWindow {
		r.ring = append(r.ring, h)
	} else {
		old := r.ring[r.next]
		if r.count[old]--; r.count[old] == 0 {
			delete(r.count, old)
		}
		r.ring[r.next] = h
		r.next = (r.next + 1) % replayWindow
	}
	r.count[h]++
}
