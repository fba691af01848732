// Package workload makes the requests a KV cache sees: seeded synthetic
// generators and a reader for Mooncake traces, both in one form, Request:
// arrival time, input and output lengths, and the prompt's prefix-hashed
// block ids (plus, for synthetic requests, the prompt's content as
// segments, so it can be cut into blocks of any size).
//
// # Synthetic workloads
//
// Every generator takes a *rand.Rand (NewRand(seed)) and a block size and is
// deterministic. Arrival processes (Poisson, Constant) are separate from the
// length distributions (Fixed, Uniform, LogNormal) and from the content, so
// each piece can be swapped. By name (kvsim replay --workload NAME):
//
//	system-prompt  200 system prompts (Zipf 1.1) + a fresh user message
//	multi-turn     chat sessions; each turn's prompt extends the previous one
//	few-shot       100 task templates (Zipf 1.1): instructions + the first 1-8 examples + a question
//	rag            short system prompt + top-3 of 5,000 documents (Zipf 1.1) + a query
//
// The Default* constructors document every default. They are chosen so a
// capacity sweep from 30 to 30,000 blocks of 512 tokens shows the knee: the
// hit rate climbs while the cache grows toward the reused working set, then
// flattens at the theoretical maximum (system-prompt near 3,000 blocks,
// multi-turn near 3,000, few-shot near 1,000). rag has no sharp knee: its
// Zipf-popular documents make the hit rate grow with the log of capacity.
//
// A prompt is a list of segments (a system prompt, a document, a chat turn),
// each a run of tokens; token j of segment s is s.ID<<32 | j. Block hashes
// chain over these tokens (cache.BlockHasher), so two prompts share block i
// exactly when their first (i+1) x B tokens agree.
//
// # Mooncake traces
//
// ReadMooncake reads the JSON Lines traces released with Mooncake (FAST'25):
// timestamp (ms), input_length, output_length, hash_ids (one id per
// 512-token block, a prefix hash). It never panics: each malformed line is
// reported with its line number and field, or skipped and counted with
// SkipBad. Its rules: blank lines are ignored; every line is a JSON object
// and every field is required; negative values are errors; len(hash_ids)
// must equal ceil(input_length / 512), which holds for every line of both
// published traces; timestamps that go backwards are accepted and the
// requests sorted by arrival, with a note.
//
// The prefix chain is checked: a hash id names its block and every block
// before it, so it must keep one index and one predecessor across the whole
// trace. A line that puts an id elsewhere ([5, 6] then [6, 5]) is malformed
// (ErrBrokenChain, naming the line that set the id up): an error, or with
// SkipBad dropped and counted (ReadReport.BrokenChain) while the earlier
// line keeps the id. Both published traces hold their chains (182,790 and
// 43,924 distinct ids).
//
// Bounds: a line holds at most MaxLineBytes (64 MiB by default); a longer
// one ends the read with ErrLineTooLong, even with SkipBad, since finding
// its end could take reading without bound (a file with no newline,
// /dev/zero). LoadMooncake refuses directories and devices before reading;
// a named pipe is read as a stream.
//
// Traces carry no tokens, so they cannot be reblocked: their block is 512
// tokens.
package workload
