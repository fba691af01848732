package workload

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"kvcache/kvsim/cache"
)

// Generator builds a synthetic workload. Generate is deterministic: the
// same generator, random source state and block size give the same requests.
type Generator interface {
	Name() string
	Describe() string // one line: what it models and its parameters
	Generate(rng *rand.Rand, blockTokens int) (Workload, error)
}

// generators maps each CLI name to its default generator.
func generators() map[string]func() Generator {
	return map[string]func() Generator{
		"system-prompt": func() Generator { return DefaultSystemPrompt() },
		"multi-turn":    func() Generator { return DefaultMultiTurn() },
		"few-shot":      func() Generator { return DefaultFewShot() },
		"rag":           func() Generator { return DefaultRAG() },
	}
}

// Names lists the synthetic workloads, sorted.
func Names() []string {
	var names []string
	for n := range generators() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Default returns the named generator with its documented defaults.
func Default(name string) (Generator, error) {
	mk, ok := generators()[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("workload: unknown workload %q: use one of %s (or read a trace file)", name, strings.Join(Names(), ", "))
	}
	return mk(), nil
}

// Generate builds the named workload with its defaults from a seed.
func Generate(name string, seed uint64, blockTokens int) (Workload, error) {
	g, err := Default(name)
	if err != nil {
		return Workload{}, err
	}
	return g.Generate(NewRand(seed), blockTokens)
}

// NewRand is the seeded source generators use (PCG).
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6b76636163686521)) }

// builder assembles requests from segments and names fresh pieces of text.
type builder struct {
	rng    *rand.Rand
	hasher *cache.BlockHasher
	block  int
	lastID uint64
	reqs   []Request
}

func newBuilder(rng *rand.Rand, blockTokens int) (*builder, error) {
	if rng == nil {
		return nil, fmt.Errorf("workload: no random source: pass workload.NewRand(seed)")
	}
	if blockTokens < 1 {
		return nil, fmt.Errorf("workload: block size %d tokens: must be at least 1", blockTokens)
	}
	return &builder{rng: rng, hasher: cache.NewBlockHasher(blockTokens), block: blockTokens}, nil
}

// piece is a new, distinct run of n tokens.
func (b *builder) piece(n int) Segment {
	b.lastID++
	return Segment{ID: b.lastID, Tokens: n}
}

// add appends a request whose prompt is the concatenation of segments.
func (b *builder) add(at float64, prompt []Segment, output int) {
	p := make([]Segment, 0, len(prompt))
	tokens := 0
	for _, s := range prompt {
		if s.Tokens > 0 {
			p = append(p, s)
			tokens += s.Tokens
		}
	}
	b.reqs = append(b.reqs, Request{ArrivalSeconds: at, InputTokens: tokens, OutputTokens: output, Blocks: hashPrompt(b.hasher, p), Prompt: p})
}

func (b *builder) workload(name string, notes ...string) Workload {
	sort.SliceStable(b.reqs, func(i, j int) bool { return b.reqs[i].ArrivalSeconds < b.reqs[j].ArrivalSeconds })
	return Workload{Name: name, BlockTokens: b.block, Requests: b.reqs, Notes: notes}
}

// begin checks a generator's parameters (the first failing check wins) and
// returns a builder.
func begin(rng *rand.Rand, blockTokens int, checks ...error) (*builder, error) {
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	return newBuilder(rng, blockTokens)
}

// rule is nil when ok, else an error with the message.
func rule(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("workload: "+format, args...)
}

func atLeast(field string, v, min int) error {
	if v < min {
		return fmt.Errorf("workload: %s = %d: must be at least %d", field, v, min)
	}
	return nil
}

func skew(field string, s float64) error {
	if !(s > 1) || s > 10 {
		return fmt.Errorf("workload: %s = %g: a Zipf exponent must be in (1, 10]", field, s)
	}
	return nil
}

func check(field string, v interface{ validate() error }) error {
	if v == nil {
		return fmt.Errorf("workload: %s is not set", field)
	}
	if err := v.validate(); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}
