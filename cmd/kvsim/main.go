// Command kvsim measures, predicts and explains what a KV cache does for
// transformer inference. Run `kvsim help` for the subcommands. Each
// command is a thin layer: flags in, a kvsim call, a table or JSON out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
)

// command is one subcommand: a line of help and the function that runs it.
type command struct {
	summary string
	run     func(args []string, e *env) error
}

// env carries the process's streams so tests can run commands in memory,
// and its context, cancelled by an interrupt.
type env struct {
	stdout, stderr   io.Writer
	stderrIsTerminal bool
	ctx              context.Context // nil: never cancelled
}

func (e *env) context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
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
		"version":  {"print the build: module version, git commit, Go version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, stderrIsTerminal: isTerminal(os.Stderr), ctx: ctx}
	code := run(os.Args[1:], e)
	stop()
	os.Exit(code)
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
	for _, n := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `kvsim <command> -h` for a command's flags.")
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// settingsError makes a study's bad-settings error (study.ErrBadSettings)
// a usage error; others pass unchanged.
func settingsError(err error) error {
	if errors.Is(err, study.ErrBadSettings) {
		return usageError{err.Error()}
	}
	return err
}

// flags is a command's flag set with what every command does with it:
// usage text, parsing around positional arguments, and which flags were
// given.
type flags struct {
	*flag.FlagSet
	given map[string]bool
}

// newFlags makes a command's flag set; usage is printed above the flags by -h.
func newFlags(name, usage string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), given: map[string]bool{}}
	f.Usage = func() {
		fmt.Fprint(f.Output(), usage)
		f.PrintDefaults()
	}
	return f
}

// parse parses flags that may come before, between or after positional
// arguments and returns the positional ones; more than maxArgs is a usage
// error that says what to do instead (hint).
func (f *flags) parse(args []string, e *env, maxArgs int, hint string) ([]string, error) {
	f.SetOutput(e.stderr)
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	f.Visit(func(fl *flag.Flag) { f.given[fl.Name] = true })
	if len(positional) > maxArgs {
		return nil, usagef("unexpected argument %q; %s", strings.Join(positional[maxArgs:], " "), hint)
	}
	return positional, nil
}

// alias registers old as another name of the string flag name (users'
// scripts rely on old names); given() answers for both.
func (f *flags) alias(old, name string) {
	fl := f.Lookup(name)
	f.Var(fl.Value, old, "alias of --"+name)
}

// pick is the value of flag name or its alias old, whichever was given;
// both given with different values is a usage error.
func (f *flags) pick(name, old string) (string, bool, error) {
	v := f.Lookup(name).Value.String()
	switch {
	case f.given[name] && f.given[old]:
		return "", false, usagef("give --%s or its old name --%s, not both", name, old)
	case f.given[name] || f.given[old]:
		return v, true, nil
	}
	return v, false, nil
}

// atLeast is a usage error for the first integer flag below its minimum.
func atLeast(checks ...minimum) error {
	for _, c := range checks {
		if c.value < c.min {
			return usagef("--%s %d: give at least %d", c.flag, c.value, c.min)
		}
	}
	return nil
}

type minimum struct {
	flag       string
	value, min int
}

// addModelFileFlag registers --model-file, which adds models from JSON
// (kvsim specs or Hugging Face configs, model.Catalog.LoadFile).
func addModelFileFlag(f *flags) *string {
	return f.String("model-file", "", "add models from a JSON `FILE`: a kvsim spec or a Hugging Face config.json (or its folder), or an array of them; see README")
}

// addHardwareFileFlag registers --hardware-file, which adds one's own
// devices from JSON (cost.LoadHardwareFile).
func addHardwareFileFlag(f *flags) *string {
	return f.String("hardware-file", "", "add your own devices from a JSON `FILE`, fields as kvsim hardware NAME --json prints them (see README)")
}

// loadHardware reads the devices of --hardware-file, if given.
func loadHardware(file string) ([]cost.Hardware, error) {
	if file == "" {
		return nil, nil
	}
	return cost.LoadHardwareFile(file)
}

// lookupModel finds name among the presets and the models of file.
func lookupModel(file, name string) (model.Spec, error) {
	cat, err := model.LoadCatalog(file)
	if err != nil {
		return model.Spec{}, err
	}
	return cat.Lookup(name)
}

// lookupHardware finds name among the presets and the devices of file.
func lookupHardware(file, name string) (cost.Hardware, error) {
	own, err := loadHardware(file)
	if err != nil {
		return cost.Hardware{}, err
	}
	return cost.LookupHardwareIn(name, own, cost.NewCalibrator(nil))
}

// addProgressFlag registers --progress, on by default when stderr is a
// terminal.
func addProgressFlag(f *flags, e *env) *bool {
	return f.Bool("progress", e.stderrIsTerminal, "show progress on stderr: a bar on a terminal, else a line per stage (default: on a terminal)")
}

// newProgress is the progress display (nil, which shows nothing, when
// off) and a studies' callback that draws on it.
func newProgress(e *env, on bool) (*report.Progress, func(study.Progress)) {
	if !on {
		return nil, nil
	}
	pr := report.NewProgress(e.stderr, e.stderrIsTerminal)
	return pr, func(s study.Progress) { pr.Update(s.Study+": "+s.Stage, s.Done, s.Total) }
}

// writeJSON prints v as indented JSON, or nothing: a value JSON cannot
// carry (NaN, an infinity) is an error that says so.
func writeJSON(e *env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	var bad *json.UnsupportedValueError
	if errors.As(err, &bad) {
		return fmt.Errorf("the result holds %s, which JSON cannot carry: a computation overflowed or divided by zero; please report it with the command line", bad.Str)
	}
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// ints is a flag of comma-separated whole numbers of at least 1.
type ints []int

func (v *ints) String() string {
	s := make([]string, len(*v))
	for i, n := range *v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (v *ints) Set(list string) error {
	var out []int
	for _, f := range splitList(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("%q: give whole numbers of at least 1, e.g. 16,32,64", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return errors.New("empty: give at least one number")
	}
	*v = out
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
