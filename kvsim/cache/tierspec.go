package cache

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Medium is the memory a tier lives in.
type Medium string

// Media, fastest first: a hierarchy lists them in this order.
const (
	HBM    Medium = "hbm"    // GPU memory: where attention reads the KV cache
	DRAM   Medium = "dram"   // host memory, over PCIe
	SSD    Medium = "ssd"    // local NVMe flash
	Remote Medium = "remote" // another machine's store, over the network
)

// MediumNames lists the media, fastest first.
func MediumNames() []string { return []string{string(HBM), string(DRAM), string(SSD), string(Remote)} }

func (m Medium) rank() int {
	for i, n := range MediumNames() {
		if string(m) == n {
			return i
		}
	}
	return -1
}

// DefaultLink is the link a medium's blocks reach the GPU over unless a
// spec names another: none for hbm, pcie5 for dram (H100/H200 hosts),
// nvme4 for ssd, rdma200 for remote.
func DefaultLink(m Medium) Link {
	switch m {
	case DRAM:
		return links[PCIe5Name]
	case SSD:
		return links[NVMe4Name]
	case Remote:
		return links[RDMA200Name]
	}
	return Link{}
}

// TierSpec describes one tier of one serving instance: its medium, its
// capacity (exactly one of Bytes, Blocks or Tokens), the link its blocks
// reach the GPU over, and optionally its own eviction policy.
type TierSpec struct {
	Medium Medium `json:"medium"`
	Bytes  int64  `json:"bytes,omitempty"`  // capacity as memory (needs the bytes per block)
	Blocks int    `json:"blocks,omitempty"` // capacity in blocks, or Unbounded
	Tokens int64  `json:"tokens,omitempty"` // capacity in tokens: floor(Tokens / block size) blocks
	Link   Link   `json:"link,omitzero"`    // zero for hbm
	Policy string `json:"policy,omitempty"` // "" means the replay's policy
}

// String writes the spec as ParseTiers reads it: "dram:256GiB@pcie5".
func (t TierSpec) String() string {
	var size string
	switch {
	case t.Blocks == Unbounded:
		size = "unbounded"
	case t.Blocks > 0:
		size = fmt.Sprintf("%dblocks", t.Blocks)
	case t.Tokens > 0:
		size = fmt.Sprintf("%dtokens", t.Tokens)
	default:
		size = formatBytes(t.Bytes)
	}
	s := string(t.Medium) + ":" + size
	if !t.Link.IsZero() && t.Link.Name != DefaultLink(t.Medium).Name {
		s += "@" + t.Link.Name
	}
	return s
}

// CapacityBlocks is the tier's capacity in blocks of blockTokens tokens of
// bytesPerBlock bytes each: Blocks as given, floor(Tokens / blockTokens),
// or floor(Bytes / bytesPerBlock). It fails when the tier holds no block
// or a byte size meets an unknown block size.
func (t TierSpec) CapacityBlocks(blockTokens int, bytesPerBlock int64) (int, error) {
	var n int64
	switch {
	case t.Blocks != 0:
		return t.Blocks, validCapacity(t.Blocks)
	case t.Tokens > 0:
		if blockTokens < 1 {
			return 0, fmt.Errorf("cache: tier %s: block size %d tokens: must be at least 1", t, blockTokens)
		}
		n = t.Tokens / int64(blockTokens)
	case t.Bytes > 0:
		if bytesPerBlock <= 0 {
			return 0, fmt.Errorf("cache: tier %s is sized in bytes but the bytes per block are unknown: name the model, or size the tier in blocks or tokens (e.g. hbm:4000blocks)", t)
		}
		n = t.Bytes / bytesPerBlock
	default:
		return 0, fmt.Errorf("cache: tier %s has no capacity: give bytes, blocks or tokens", t.Medium)
	}
	if n < 1 {
		return 0, fmt.Errorf("cache: tier %s holds no block (%d tokens, %d bytes each): make it larger", t, blockTokens, bytesPerBlock)
	}
	if n > maxCapacity {
		return 0, fmt.Errorf("cache: tier %s is %d blocks, more than the %d a pool can index", t, n, maxCapacity)
	}
	return int(n), nil
}

// ValidateTiers checks a hierarchy: at least one tier, the first hbm, the
// media in the order hbm, dram, ssd, remote with none twice, one capacity
// each, a valid link on every tier below the first, and policies that
// NewPolicy knows.
func ValidateTiers(tiers []TierSpec) error {
	if len(tiers) == 0 {
		return fmt.Errorf("cache: no tiers: give at least hbm, e.g. hbm:20GiB")
	}
	prev := -1
	for i, t := range tiers {
		r := t.Medium.rank()
		switch {
		case r < 0:
			return fmt.Errorf("cache: tier %d: unknown medium %q: use %s", i, t.Medium, strings.Join(MediumNames(), ", "))
		case i == 0 && t.Medium != HBM:
			return fmt.Errorf("cache: the first tier is %s: it must be hbm, the GPU memory attention reads (e.g. hbm:20GiB,%s:256GiB)", t.Medium, t.Medium)
		case r <= prev:
			return fmt.Errorf("cache: tier %s after %s: list tiers fastest first, each medium once (%s)", t.Medium, tiers[i-1].Medium, strings.Join(MediumNames(), ", "))
		}
		prev = r
		set := 0
		for _, v := range []bool{t.Bytes != 0, t.Blocks != 0, t.Tokens != 0} {
			if v {
				set++
			}
		}
		if set != 1 || t.Bytes < 0 || t.Tokens < 0 {
			return fmt.Errorf("cache: tier %s: give exactly one positive capacity (bytes, blocks or tokens)", t.Medium)
		}
		if t.Blocks != 0 {
			if err := validCapacity(t.Blocks); err != nil {
				return fmt.Errorf("cache: tier %s: %w", t.Medium, err)
			}
		}
		if i > 0 {
			if err := t.Link.validate(); err != nil {
				return fmt.Errorf("cache: tier %s: %w", t.Medium, err)
			}
		}
		if t.Policy != "" {
			if _, err := CanonicalPolicy(t.Policy); err != nil {
				return fmt.Errorf("cache: tier %s: %w", t.Medium, err)
			}
		}
	}
	return nil
}

// ParseTiers reads a comma-separated hierarchy, fastest first:
//
//	hbm:20GiB,dram:256GiB,ssd:2TiB
//	hbm:4000blocks,dram:3e6tokens@pcie4,remote:unbounded@4xrdma400
//
// Each tier is medium:capacity[@link]. A capacity is a size (B, KB, MB, GB,
// TB, KiB, MiB, GiB, TiB), a count of blocks or tokens ("4000blocks",
// "3e6tokens"), or "unbounded". Links are LinkNames(), optionally "Nx"
// several at once; each medium has a DefaultLink.
func ParseTiers(s string) ([]TierSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("cache: empty tier list: give e.g. hbm:20GiB,dram:256GiB,ssd:2TiB")
	}
	var out []TierSpec
	for _, f := range strings.Split(s, ",") {
		t, err := ParseTier(f)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := ValidateTiers(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseTier reads one medium:capacity[@link].
func ParseTier(s string) (TierSpec, error) {
	f := strings.ToLower(strings.TrimSpace(s))
	med, rest, ok := strings.Cut(f, ":")
	if !ok {
		return TierSpec{}, fmt.Errorf("cache: tier %q: write medium:capacity, e.g. dram:256GiB (media: %s)", s, strings.Join(MediumNames(), ", "))
	}
	t := TierSpec{Medium: Medium(strings.TrimSpace(med))}
	if t.Medium.rank() < 0 {
		return TierSpec{}, fmt.Errorf("cache: tier %q: unknown medium %q: use %s", s, med, strings.Join(MediumNames(), ", "))
	}
	size, link, hasLink := strings.Cut(rest, "@")
	t.Link = DefaultLink(t.Medium)
	if hasLink {
		if t.Medium == HBM {
			return TierSpec{}, fmt.Errorf("cache: tier %q: hbm takes no link (attention reads it in place)", s)
		}
		l, err := LookupLink(link)
		if err != nil {
			return TierSpec{}, err
		}
		t.Link = l
	}
	if err := parseCapacity(strings.TrimSpace(size), &t); err != nil {
		return TierSpec{}, fmt.Errorf("cache: tier %q: %w", s, err)
	}
	return t, nil
}

func parseCapacity(s string, t *TierSpec) error {
	if s == "unbounded" || s == "inf" {
		t.Blocks = Unbounded
		return nil
	}
	bad := fmt.Errorf("capacity %q: give a size with its unit (20GiB, 1.5TB), a count (4000blocks, 3e6tokens) or unbounded", s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"blocks", 1}, {"tokens", 1},
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
	}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !(v*u.mult >= 1) || v*u.mult >= math.MaxInt64 {
			return bad
		}
		switch u.suffix {
		case "blocks":
			if v > maxCapacity || v != math.Trunc(v) {
				return fmt.Errorf("capacity %q: give a whole number of blocks from 1 to %d", s, maxCapacity)
			}
			t.Blocks = int(v)
		case "tokens":
			t.Tokens = int64(v)
		default:
			t.Bytes = int64(v * u.mult)
		}
		return nil
	}
	return bad
}

// formatBytes writes a byte count in the largest binary unit that divides
// it, else in bytes.
func formatBytes(b int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b >= u.size && b%u.size == 0 {
			return fmt.Sprintf("%d%s", b/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", b)
}
