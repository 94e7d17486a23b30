package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/afterglow-bot/afterglow/storage"
)

// migrateUsage is migrate's own help: it has flags the other commands do not.
const migrateUsage = `Usage: afterglow migrate --from sqlite:FILE --to postgres://user:password@host:5432/dbname

Copies every table of the SQLite database FILE into the empty PostgreSQL database, as
stored: encrypted fields byte for byte, so the same key opens the copy. Refuses a target
that is not empty, then compares the row counts of every table. Stop the bot first.
`

// migrateCommand runs `afterglow migrate`: it copies, then says per table whether the counts match.
func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("afterglow migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, migrateUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the source, sqlite:FILE")
	to := fs.String("to", "", "the target, postgres://…")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	path, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || path == "" || fs.NArg() > 0 {
		return errors.New("migrate takes --from sqlite:FILE --to postgres://… (run `afterglow migrate -h`)")
	}
	if !storage.IsPostgresURL(*to) {
		return fmt.Errorf("migrate: --to %s is not a postgres:// URL", storage.RedactURL(*to))
	}
	// The bot must not write the source while it is copied.
	lock, err := lockInstance(path)
	if err != nil {
		return err
	}
	defer lock.Close()
	copied, err := storage.CopyToPostgres(ctx, path, *to)
	if err != nil {
		return err
	}
	return reportCopy(copied, stdout)
}

// reportCopy prints one line per table, and fails when any count differs.
func reportCopy(copied []storage.TableCopy, stdout io.Writer) error {
	var differ []string
	for _, tc := range copied {
		if tc.Source == tc.Target {
			fmt.Fprintf(stdout, "%s: %d rows, counts match\n", tc.Table, tc.Source)
			continue
		}
		fmt.Fprintf(stdout, "%s: %d rows in the source, %d in the target: COUNTS DIFFER\n", tc.Table, tc.Source, tc.Target)
		differ = append(differ, tc.Table)
	}
	if len(differ) > 0 {
		return fmt.Errorf("migrate: row counts differ in %s", strings.Join(differ, ", "))
	}
	return nil
}
