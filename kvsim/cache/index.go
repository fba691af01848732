package cache

// BlockHash identifies a block by its tokens and by every token before it
// (a prefix hash): two prompts that share their first k block hashes share
// their first k blocks of tokens, so the KV cache of those blocks is the same.
// Mooncake traces carry such ids (hash_ids); BlockHasher computes them from
// tokens.
type BlockHash uint64

// PrefixIndex maps the hash of each resident block to its slot. It is what a
// lookup reads: a request's longest cached prefix is its longest run of
// leading block hashes found here. Only the Cache changes it.
type PrefixIndex struct {
	slots table[Slot]
}

func newPrefixIndex(sizeHint int) *PrefixIndex {
	return &PrefixIndex{slots: newTable[Slot](sizeHint)}
}

// Lookup returns the slot of block h, if resident.
func (x *PrefixIndex) Lookup(h BlockHash) (Slot, bool) { return x.slots.get(h) }

// Len is the number of indexed blocks.
func (x *PrefixIndex) Len() int { return x.slots.len() }

// CachedPrefix is the number of leading blocks of hashes that are resident:
// the longest cached prefix. It changes nothing.
func (x *PrefixIndex) CachedPrefix(hashes []BlockHash) int {
	for i, h := range hashes {
		if x.slots.find(h) < 0 {
			return i
		}
	}
	return len(hashes)
}

func (x *PrefixIndex) put(h BlockHash, s Slot) { x.slots.set(h, s) }
func (x *PrefixIndex) remove(h BlockHash)      { x.slots.delete(h) }

// BlockHasher turns a token stream into prefix-chained block hashes, one per
// block of BlockTokens tokens, the last block possibly partial:
//
//	state_0 = mix(h_(i-1))                        (h_(-1) = 0)
//	state_j = (state_(j-1) xor token_j) x P        (FNV-1a over 64-bit tokens)
//	h_i     = mix(state_n xor n)                   (n = tokens in block i)
//
// where P is the 64-bit FNV prime and mix is the SplitMix64 finaliser. Each
// hash therefore depends on all tokens before it, as vLLM's block hash does.
// A partial last block is hashed over its tokens and its length, so it only
// matches a block with exactly those tokens. The zero value is not usable;
// call NewBlockHasher.
type BlockHasher struct {
	blockTokens int
	state       uint64
	inBlock     int
	hashes      []BlockHash
}

// NewBlockHasher returns a hasher for blocks of blockTokens tokens
// (blockTokens >= 1; smaller values are treated as 1).
func NewBlockHasher(blockTokens int) *BlockHasher {
	if blockTokens < 1 {
		blockTokens = 1
	}
	b := &BlockHasher{blockTokens: blockTokens}
	b.state = mix64(0)
	return b
}

const fnvPrime64 = 1099511628211

// Add appends one token.
func (b *BlockHasher) Add(token uint64) {
	b.state = (b.state ^ token) * fnvPrime64
	b.inBlock++
	if b.inBlock == b.blockTokens {
		b.closeBlock()
	}
}

func (b *BlockHasher) closeBlock() {
	h := BlockHash(mix64(b.state ^ uint64(b.inBlock)))
	b.hashes = append(b.hashes, h)
	b.state = mix64(uint64(h))
	b.inBlock = 0
}

// Hashes closes a partial last block, if any, and returns the hashes of the
// stream so far; the hasher then starts a new stream.
func (b *BlockHasher) Hashes() []BlockHash {
	if b.inBlock > 0 {
		b.closeBlock()
	}
	out := b.hashes
	b.hashes, b.state, b.inBlock = nil, mix64(0), 0
	return out
}

// mix64 is the SplitMix64 finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
