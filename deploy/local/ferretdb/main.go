// Command ferretdb runs FerretDB (MongoDB wire protocol on PostgreSQL) for the local dev stack.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb instead of building cmd/ferretdb: the
// stock command panics at start when built from the module proxy, because its
// build/version package wants a generated version.txt that the module zip lacks. The
// embedded API skips that check, keeps telemetry off and opens no debug HTTP listener.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "listen TCP address")
	handler := flag.String("handler", "sqlite", "backend handler: 'sqlite' or 'postgresql'")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (directory, must end with '/')")
	// The URL carries the backend's password: read from the environment, it stays out of `ps` and logs.
	postgresqlURL := flag.String("postgresql-url", os.Getenv("FERRETDB_POSTGRESQL_URL"), "PostgreSQL URL for the 'postgresql' handler (default $FERRETDB_POSTGRESQL_URL)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn, error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *postgresqlURL,
	})
	if err != nil {
		fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// Printed unconditionally so the log records which FerretDB build is running.
	fmt.Fprintf(os.Stderr, "FerretDB %s (embedded, handler=%s) listening on %s\n", ferretDBVersion(), *handler, *listenAddr)

	if err := f.Run(ctx); err != nil {
		fatal(err)
	}
}

// ferretDBVersion returns the FerretDB module version linked into this binary.
func ferretDBVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/FerretDB/FerretDB" {
				return dep.Version
			}
		}
	}

	return "unknown"
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
	os.Exit(1)
}
