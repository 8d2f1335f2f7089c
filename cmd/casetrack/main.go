// Command casetrack runs the casetrack service and its operator commands.
// Run it without arguments for the list of commands; API.md ("Command line")
// is the contract they keep.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // TIMEZONE works on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// env is what a command sees of the outside world, so that tests can run
// commands in-process with their own input, output and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one row of the command table.
type command struct {
	name    string // the words that select it, e.g. "seed demo"
	args    string // its own arguments, for the usage text
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands is the command table: adding a subcommand is adding a row.
func commands() []command {
	return []command{
		{"serve", "", "run the HTTP service until SIGINT/SIGTERM, then drain in-flight requests", serveCommand},
		{"migrate", "", "apply pending database migrations", migrateCommand},
		{"migrate status", "", "list the migrations and whether each is applied", migrateStatusCommand},
		{"seed demo", "[--if-empty]", "load the Bishan demo data into an empty database", seedDemoCommand},
		{"seed synthetic", "--cases N [--departments D]", "add N realistic cases in every state, for benchmarks", seedSyntheticCommand},
		{"user add", "--login L --name N --email E --role ROLE[:DEPT] ... --password-stdin", "create a user; the password is read from standard input", userAddCommand},
		{"department add", "--code C --name N [--email E]", "create a department", departmentAddCommand},
		{"digest preview", "--week 2026-W48 [--department C] [--lang zh|en]", "print a week's digest (text part)", digestPreviewCommand},
		{"digest send", "--week 2026-W48", "enqueue and send a week's digests now; a digest already sent is not sent again", digestSendCommand},
	}
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError is a mistake on the command line rather than a failure.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run selects the command that args name and runs it; it returns the exit
// code, having written a one-line reason to stderr when the command failed.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(e.stderr, "casetrack: unknown command %q (run casetrack help for the list)\n", strings.Join(words(args), " "))
		return exitUsage
	}
	err := cmd.run(ctx, e, rest)
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(e.stderr, "casetrack %s: %s (run casetrack %s -h for help)\n", cmd.name, oneLine(err), cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "casetrack %s: %s\n", cmd.name, oneLine(err))
		return exitError
	}
}

// lookup finds the command with the longest name that the leading words of
// args spell out, and returns it with the arguments that follow its name.
func lookup(args []string) (command, []string, bool) {
	given := words(args)
	var best command
	found := false
	for _, c := range commands() {
		name := strings.Fields(c.name)
		if len(name) <= len(given) && strings.Join(given[:len(name)], " ") == c.name && len(name) > len(strings.Fields(best.name)) {
			best, found = c, true
		}
	}
	if !found {
		return command{}, nil, false
	}
	return best, args[len(strings.Fields(best.name)):], true
}

// words returns the leading arguments that are not flags.
func words(args []string) []string {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[:i]
		}
	}
	return args
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: casetrack COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes the configuration flags; run casetrack COMMAND -h to list them.")
}

// newFlagSet returns an empty flag set for a command. The flag package
// prints nothing by itself: parseFlags turns its errors into one line and
// prints the flags for -h.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("casetrack "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// oneLine flattens an error's message onto one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(reason(err)), " ")
}
