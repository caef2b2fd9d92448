package events

import (
	"testing"
)

// BenchmarkPublish10k is the hub's share of one event's fan-out to 10,000 subscribers of
// one stream: encode once, queue a pointer to each (no network; cmd/ssebench measures the
// whole path).
func BenchmarkPublish10k(b *testing.B) {
	h := NewHub(HubConfig{SendBuffer: 1})
	subs := make([]*subscriber, 10000)
	h.mu.Lock()
	for i := range subs {
		subs[i] = &subscriber{ch: make(chan *frame, 1), quit: make(chan struct{}), streams: []string{"s"}}
		h.streamLocked("s").subs[subs[i]] = struct{}{}
		h.subs++
	}
	h.mu.Unlock()
	data := make([]byte, 1024)
	b.ResetTimer()
	for i := range b.N {
		h.Publish(Message{ID: int64(i + 1), Stream: "s", Name: "bid-submitted", Data: data})
		b.StopTimer()
		for _, s := range subs {
			<-s.ch
		}
		b.StartTimer()
	}
	if h.Subscribers() != len(subs) {
		b.Fatalf("%d subscribers dropped", len(subs)-h.Subscribers())
	}
}
