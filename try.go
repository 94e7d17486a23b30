package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/afterglow-bot/afterglow/commands"
	"github.com/afterglow-bot/afterglow/content"
	"github.com/afterglow-bot/afterglow/storage"
)

// try answers one command line through the real router, with a throwaway database.
func try(ctx context.Context, line string, stdout io.Writer) error {
	lib, err := content.Load()
	if err != nil {
		return fmt.Errorf("load guidance texts: %w", err)
	}
	dir, err := os.MkdirTemp("", "afterglow-try-")
	if err != nil {
		return fmt.Errorf("make a throwaway database: %w", err)
	}
	defer os.RemoveAll(dir)
	store, err := storage.Open(ctx, dir+"/try.db", make([]byte, 32))
	if err != nil {
		return fmt.Errorf("make a throwaway database: %w", err)
	}
	defer store.Close()
	router := commands.NewRouter(commands.Deps{Content: lib, Store: store, Clock: time.Now})
	req, err := commands.ParseCommandLine(router.Definitions(), line)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, commands.Render(router.Handle(ctx, req).Response))
	return nil
}
