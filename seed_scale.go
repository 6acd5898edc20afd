package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"

	"haven/models"
)

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
