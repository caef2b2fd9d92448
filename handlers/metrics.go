package handlers

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/14build/14build/store"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// routes is the route table's templates: the only values the route label may take, so
	// no client can add a time series (a made-up path or method is "unmatched"/"other").
	routes map[string]bool
}

func newMetrics(reg *prometheus.Registry, st *store.Store, routes []Route) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		routes: map[string]bool{},
	}
	for _, r := range routes {
		m.routes[r.Path()] = true
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "db_queries_total", Help: "SQL statements sent to Postgres.",
		}, func() float64 { return float64(st.QueryCount()) }),
		collectors.NewDBStatsCollector(st.DB().DB, "main"),
	)
	return m
}

// methodLabel maps the request method onto a fixed set: any other method is "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if !m.routes[route] {
		route = "unmatched"
	}
	if status < 100 || status > 599 {
		status = 0
	}
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// MetricsHandler serves the Prometheus metrics without any check: for a separate listener
// (METRICS_ADDR) that only operators can reach.
func (h *Handlers) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(h.registry, promhttp.HandlerOpts{})
}

// metricsHandler is GET /metrics on the public listener: only with the bearer
// METRICS_TOKEN; without a token configured there is nothing here (404).
func (h *Handlers) metricsHandler() echo.HandlerFunc {
	serve := echo.WrapHandler(h.MetricsHandler())
	return func(c echo.Context) error {
		want := h.cfg.MetricsToken
		if want == "" {
			return echo.ErrNotFound
		}
		got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) != 1 {
			// A plain 401 for the scraper (the error handler would send a browser to sign in).
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return c.String(http.StatusUnauthorized, "The metrics need the metrics token.\n")
		}
		return serve(c)
	}
}
