package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"qwenproxy/internal/app"
	"qwenproxy/internal/config"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, misspelt []config.Misspelling) error {
	cfg, err := config.Load(args, getenv, stderr)
	if cl := (config.CommandLineError{}); errors.As(err, &cl) {
		return usageError{err: cl.Err, said: cl.Said}
	}
	if err != nil {
		return err
	}
	// A log whose reader is gone (the `| tee` or log shipper it writes to
	// died) fails its writes instead of killing the server with SIGPIPE at
	// its next line — at the latest the stop's "shutting down", before the
	// queued records were written.
	signal.Ignore(syscall.SIGPIPE)
	log := newLogger(cfg, stderr)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	for _, m := range misspelt {
		log.Warn("a variable of the environment is not a setting: misspelt?", "variable", m.Name, "did_you_mean", m.Setting)
	}
	a, err := app.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(again)
	log.Info("shutting down", "calls_may_run_for", cfg.ShutdownTimeout.String(), "a_second_signal", "cuts them now")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	go cutOnSecondSignal(shutdownCtx, again, cancel, log)
	if err := a.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// cutOnSecondSignal ends the wait for running calls when another signal
// comes (Ctrl-C again, a service manager stopping twice): it was ignored, so
// the server waited up to SHUTDOWN_TIMEOUT saying nothing, and the operator's
// next step was kill -9, which loses the queued records. The calls are cut
// as at the deadline (recorded as shutting_down) and every record is still
// written.
func cutOnSecondSignal(shutdown context.Context, again <-chan os.Signal, cut context.CancelFunc, log *slog.Logger) {
	select {
	case sig := <-again:
		log.Warn("second signal: cutting the calls still running; their records are written before the exit", "signal", sig.String())
		cut()
	case <-shutdown.Done():
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, usage())
	fmt.Fprintln(w, "\nenvironment (flags override):")
	config.Document(w)
}
