// Command server runs Haven exactly as "haven serve" does, plus one extra route for
// benchmarks: GET /static/bench/page.html serves the file named by HAVEN_BENCH_FILE
// (e.g. a thread page saved with curl) as a static file, through the same Echo server
// and middleware, so that a dynamic page can be compared with the same bytes served
// statically. See "Benchmarks" in README.md.
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // profiles on HAVEN_BENCH_PPROF, e.g. 127.0.0.1:6060
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"haven/app"
	"haven/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
}

func run() error {
	start := time.Now()
	cfg := app.ConfigFromEnv(os.Getenv)
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := models.Open(cfg.Database, models.Options{Secret: cfg.SecretBytes(), Log: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	app.TuneGC()
	e, err := app.New(cfg, store, log)
	if err != nil {
		return err
	}
	if file := os.Getenv("HAVEN_BENCH_FILE"); file != "" {
		e.GET("/static/bench/page.html", func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "public, max-age=300")
			return c.File(file)
		})
	}
	if addr := os.Getenv("HAVEN_BENCH_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
	fmt.Fprintf(os.Stderr, "bench server: ready in %s on %s\n", time.Since(start).Round(time.Millisecond), cfg.Addr)
	return e.Start(cfg.Addr)
}
