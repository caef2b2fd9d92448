package events

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Router turns a Change into the messages of each audience stream (the handlers package
// implements it: it loads what each audience may see and renders the fragments and their
// JSON twins). Each message's ID is c.ID (0 is set to it). Streams are named by audience, e.g.
// "tender/{id}/team", "tender/{id}/bidders", "tender/{id}/bidder/{uid}", "project/{id}",
// "user/{uid}"; the hub treats names as opaque.
type Router func(ctx context.Context, c Change) ([]Message, error)

// Listener follows Channel on one dedicated connection and publishes every committed
// change to its Hub. Run it once per instance.
type Listener struct {
	DSN   string
	DB    *sql.DB // loads the events rows and prunes old ones
	Route Router
	Hub   *Hub
	Log   *slog.Logger
	// Keep is how long events rows are kept (7 days); rows older are pruned hourly.
	Keep time.Duration

	once  sync.Once
	ready chan struct{}
}

// Listen runs a Listener until ctx ends.
func Listen(ctx context.Context, dsn string, db *sql.DB, route Router, hub *Hub, log *slog.Logger) error {
	return (&Listener{DSN: dsn, DB: db, Route: route, Hub: hub, Log: log}).Run(ctx)
}

// Ready is closed once the listener is LISTENing: a change committed after it is
// delivered.
func (l *Listener) Ready() <-chan struct{} {
	l.once.Do(func() { l.ready = make(chan struct{}) })
	return l.ready
}

// seen remembers the last ids handled, so that a catch-up after a reconnect (which reads
// back a little further than strictly needed) and the notifications never deliver twice.
type seen struct {
	set  map[int64]struct{}
	fifo []int64
	max  int64
}

func (s *seen) add(id int64) bool {
	if _, ok := s.set[id]; ok {
		return false
	}
	s.set[id] = struct{}{}
	s.fifo = append(s.fifo, id)
	if len(s.fifo) > 8192 {
		delete(s.set, s.fifo[0])
		s.fifo = s.fifo[1:]
	}
	s.max = max(s.max, id)
	return true
}

// Run LISTENs (pq.Listener: it reconnects with backoff from 100 ms to 10 s), and for each
// notified id loads the row, routes it and publishes the messages. After a reconnect it
// reads back the rows it may have missed: ids above the last seen, and (since ids follow
// commit order only roughly) anything from the minute before the last one seen.
func (l *Listener) Run(ctx context.Context) error {
	l.Ready()
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	keep := l.Keep
	if keep <= 0 {
		keep = 7 * 24 * time.Hour
	}
	pl := pq.NewListener(l.DSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("events listener", "event", ev, "err", err)
		}
	})
	defer pl.Close()
	listened := make(chan error, 1)
	go func() { listened <- pl.Listen(Channel) }()
	select {
	case err := <-listened:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		pl.Close()
		return ctx.Err()
	}
	close(l.ready)

	s := &seen{set: map[int64]struct{}{}}
	var lastAt time.Time
	// The newest row now: anything later is notified (we LISTEN already).
	if err := l.DB.QueryRowContext(ctx, `SELECT coalesce(max(id), 0), coalesce(max(at), now()) FROM events`).Scan(&s.max, &lastAt); err != nil && ctx.Err() == nil {
		log.Warn("events: read the last id", "err", err)
	}
	deliver := func(cs []Change) {
		for _, c := range cs {
			if !s.add(c.ID) {
				continue
			}
			if c.At.After(lastAt) {
				lastAt = c.At
			}
			msgs, err := l.Route(ctx, c)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("events: route", "id", c.ID, "kind", c.Kind, "err", err)
				}
				continue
			}
			for i := range msgs {
				if msgs[i].ID == 0 {
					msgs[i].ID = c.ID // the event id on the wire: the row's, on every instance
				}
			}
			l.Hub.Publish(msgs...)
		}
	}
	// catchUp runs after a reconnect: notifications sent meanwhile are lost; read them back.
	catchUp := func() {
		cs, err := since(ctx, l.DB, s.max, lastAt.Add(-time.Minute))
		if err != nil {
			if ctx.Err() == nil {
				log.Error("events: catch up", "err", err)
			}
			return
		}
		deliver(cs)
	}
	prune := func() {
		if n, err := Prune(ctx, l.DB, keep); err != nil && ctx.Err() == nil {
			log.Warn("events: prune", "err", err)
		} else if n > 0 {
			log.Info("events: pruned", "rows", n)
		}
	}
	prune()
	pruneTick := time.NewTicker(time.Hour)
	defer pruneTick.Stop()
	pingTick := time.NewTicker(time.Minute)
	defer pingTick.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-pruneTick.C:
			prune()
		case <-pingTick.C:
			// A dead TCP connection is noticed only by writing to it.
			if err := pl.Ping(); err != nil {
				log.Warn("events: listener ping", "err", err)
			}
		case n := <-pl.Notify:
			if n == nil {
				catchUp()
				continue
			}
			// Take whatever else is queued, and load it in one query.
			ids := []int64{}
			if id, err := strconv.ParseInt(n.Extra, 10, 64); err == nil {
				ids = append(ids, id)
			}
			reconnected := false
		more:
			for len(ids) < 500 {
				select {
				case n := <-pl.Notify:
					if n == nil {
						reconnected = true
						break more
					}
					if id, err := strconv.ParseInt(n.Extra, 10, 64); err == nil {
						ids = append(ids, id)
					}
				default:
					break more
				}
			}
			cs, err := Load(ctx, l.DB, ids...)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					log.Error("events: load", "err", err)
				}
				continue
			}
			// Publish in notification (commit) order, not id order.
			byID := make(map[int64]Change, len(cs))
			for _, c := range cs {
				byID[c.ID] = c
			}
			ordered := make([]Change, 0, len(cs))
			for _, id := range ids {
				if c, ok := byID[id]; ok {
					ordered = append(ordered, c)
				}
			}
			deliver(ordered)
			if reconnected {
				catchUp()
			}
		}
	}
}
