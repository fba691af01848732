// Command kvsim measures, predicts and explains what a KV cache does for
// transformer inference. Run `kvsim help` for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand: a line of help and the function that runs it.
type command struct {
	summary string
	run     func(args []string, env *env) error
}

// env carries the process's streams so tests can run commands in memory.
type env struct {
	stdout, stderr   io.Writer
	stderrIsTerminal bool
}

func commands() map[string]command {
	return map[string]command{
		"models":   {"list the model catalog, or show one model in full", runModels},
		"bench":    {"run a real decoder on this CPU, timed with and without a KV cache", runBench},
		"predict":  {"predict latency, memory and KV-cache speedup on real hardware (roofline)", runPredict},
		"hardware": {"list the hardware presets with their figures and sources", runHardware},
		"engines":  {"list the execution profiles (engines) with their constants and sources", runEngines},
		"validate": {"hold the cost model against published measurements, per engine and regime", runValidate},
		"replay":   {"replay a trace or synthetic workload through a prefix cache", runReplay},
		"report":   {"run every study and write the notebook's figures as one HTML page, plus CSV/JSON/Markdown", runReport},
	}
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr, stderrIsTerminal: isTerminal(os.Stderr)}
	os.Exit(run(os.Args[1:], e))
}

// run executes one command line and returns the process exit code:
// 0 success, 1 failure, 2 bad usage.
func run(args []string, e *env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "kvsim: unknown command %q\n\n", args[0])
		printUsage(e.stderr, cmds)
		return 2
	}
	err := c.run(args[1:], e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(e.stderr, "kvsim %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(e.stderr, "kvsim %s: %v\n", args[0], err)
		return 1
	}
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "kvsim: what a KV cache does for transformer inference\n\nUsage: kvsim <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `kvsim <command> -h` for a command's flags.")
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string, e *env) ([]string, error) {
	fs.SetOutput(e.stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// joinQuoted quotes and joins names for messages.
func joinQuoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
