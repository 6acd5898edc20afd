// Command haven runs Haven, a moderated support-group forum for health communities.
//
// Usage:
//
//	haven [serve]                        run the web server (the default)
//	haven migrate                        create or update the database tables
//	haven seed                           add demo content to an empty database
//	haven seed --scale [--posts N …]     add a large generated dataset, for benchmarks (Haven stopped)
//	haven admin grant PROVIDER SUBJECT   make the user behind a sign-in an admin
//	haven backup FILE                    copy the database to FILE while Haven runs
//	haven restore FILE                   replace the database with a backup (Haven stopped)
//
// Configuration comes from HAVEN_* environment variables; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"haven/app"
	"haven/models"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "haven:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	cfg := app.ConfigFromEnv(os.Getenv)
	switch cmd {
	case "serve", "migrate", "seed", "admin", "backup", "restore":
	case "help", "-h", "--help":
		fmt.Println("usage: haven [serve | migrate | seed | admin grant PROVIDER SUBJECT | backup FILE | restore FILE]")
		return nil
	default:
		return fmt.Errorf("unknown command %q; try: haven help", cmd)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg.LogLevel)
	if cmd == "backup" || cmd == "restore" {
		if len(args) != 1 || args[0] == "" {
			return fmt.Errorf("usage: haven %s FILE", cmd)
		}
	}
	if cmd == "restore" {
		// Nothing may hold the database open while it is replaced.
		if err := models.Restore(context.Background(), cfg.Database, args[0]); err != nil {
			return err
		}
		log.Info("database restored; start Haven to migrate and serve it", "from", args[0])
		return nil
	}
	store, err := models.Open(cfg.Database, models.Options{Secret: cfg.SecretBytes(), Log: log, Replicas: cfg.Replicas()})
	if err != nil {
		return err
	}
	defer store.Close()
	ctx := context.Background()
	if cmd == "backup" {
		// A copy of the database as it is: no migration first.
		if err := store.Backup(ctx, cfg.Database, args[0]); err != nil {
			return err
		}
		log.Info("backup written", "file", args[0])
		return nil
	}
	if err := store.Migrate(); err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		log.Info("database migrated", "database", cfg.Database)
		return nil
	case "seed":
		if len(args) > 0 {
			return seedScale(ctx, store, log, args)
		}
		seeded, err := store.SeedDemo(ctx)
		if err != nil {
			return err
		}
		if !seeded {
			log.Info("the database already has groups; demo content not added")
		}
		return nil
	case "admin":
		if len(args) != 3 || args[0] != "grant" {
			return errors.New("usage: haven admin grant PROVIDER SUBJECT (e.g. haven admin grant oidc 248289761001)")
		}
		if _, err := store.GrantAdmin(ctx, args[1], args[2]); err != nil {
			return err
		}
		log.Info("admin granted", "provider", args[1])
		return nil
	}
	return serve(cfg, store, log)
}

func serve(cfg app.Config, store *models.Store, log *slog.Logger) error {
	if cfg.LocalMode() {
		seeded, err := store.SeedDemo(context.Background())
		if err != nil {
			return err
		}
		if seeded {
			log.Info("seeded demo content into the empty database")
		}
	}
	app.TuneGC()
	e, err := app.New(cfg, store, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		mode := "sign-in providers"
		if cfg.LocalMode() {
			mode = "local mode"
		}
		log.Info("Haven is listening", "url", cfg.BaseURL, "addr", cfg.Addr, "database", store.Dialect(), "mode", mode)
		errc <- e.Start(cfg.Addr)
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// seedScale runs "haven seed --scale [--groups N --members N --threads N --posts N]":
// a large generated dataset for benchmarks (see models.SeedScale).
func seedScale(ctx context.Context, store *models.Store, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scale := fs.Bool("scale", false, "generate a large dataset for benchmarks")
	o := models.ScaleOptions{Progress: os.Stderr}
	fs.IntVar(&o.Groups, "groups", 1000, "groups")
	fs.IntVar(&o.Members, "members", 100000, "members (users; each joins one to four groups)")
	fs.IntVar(&o.Threads, "threads", 200000, "threads")
	fs.IntVar(&o.Posts, "posts", 2000000, "posts, opening posts included")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed, for a reproducible dataset")
	if err := fs.Parse(args); err != nil || !*scale || fs.NArg() > 0 {
		return errors.New("usage: haven seed --scale [--groups 1000] [--members 100000] [--threads 200000] [--posts 2000000] [--seed N]")
	}
	res, err := store.SeedScale(ctx, o)
	if err != nil {
		return err
	}
	log.Info("scale dataset added", "groups", res.Groups, "users", res.Users, "memberships", res.Memberships,
		"threads", res.Threads, "posts", res.Posts, "reactions", res.Reactions, "took", res.Took.Round(1e6).String())
	return nil
}
