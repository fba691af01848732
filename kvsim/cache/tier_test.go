package cache

import (
	"math"
	"strings"
	"testing"
)

func TestParseTiers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []TierSpec
	}{
		{"hbm:20GiB,dram:256GiB,ssd:2TiB", []TierSpec{
			{Medium: HBM, Bytes: 20 << 30},
			{Medium: DRAM, Bytes: 256 << 30, Link: links[PCIe5Name]},
			{Medium: SSD, Bytes: 2 << 40, Link: links[NVMe4Name]},
		}},
		{" HBM:4000blocks , dram:3e6tokens@pcie4,remote:unbounded@4xrdma400", []TierSpec{
			{Medium: HBM, Blocks: 4000},
			{Medium: DRAM, Tokens: 3000000, Link: links[PCIe4Name]},
			{Medium: Remote, Blocks: Unbounded, Link: links[RDMA400Name].Times(4)},
		}},
		{"hbm:1.5TB,ssd:100GB@nvme5", []TierSpec{
			{Medium: HBM, Bytes: 1.5e12},
			{Medium: SSD, Bytes: 100e9, Link: links[NVMe5Name]},
		}},
	} {
		got, err := ParseTiers(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%q: %d tiers, want %d", tc.in, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q tier %d: %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
		// String writes what ParseTiers reads back.
		var parts []string
		for _, s := range got {
			parts = append(parts, s.String())
		}
		again, err := ParseTiers(strings.Join(parts, ","))
		if err != nil {
			t.Fatalf("reparse %v: %v", parts, err)
		}
		for i := range again {
			if again[i] != got[i] {
				t.Errorf("round trip %q: %+v, want %+v", parts[i], again[i], got[i])
			}
		}
	}
}

func TestParseTiersRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty tier list"},
		{"dram:256GiB", "first tier is dram: it must be hbm"},
		{"hbm:20GiB,ssd:1TiB,dram:256GiB", "fastest first"},
		{"hbm:20GiB,dram:1GiB,dram:2GiB", "fastest first"},
		{"hbm:20GiB,tape:1TiB", `unknown medium "tape"`},
		{"hbm20GiB", "write medium:capacity"},
		{"hbm:20", "give a size with its unit"},
		{"hbm:-5GiB", "give a size with its unit"},
		{"hbm:0blocks", "give a size with its unit"},
		{"hbm:2.5blocks", "whole number of blocks"},
		{"hbm:1e30GiB", "give a size with its unit"},
		{"hbm:20GiB@pcie5", "hbm takes no link"},
		{"hbm:20GiB,dram:1TiB@pcie9", `unknown link "pcie9"`},
		{"hbm:20GiB,dram:1TiB@0xpcie5", "give 1 to 1024"},
		{"hbm:NaNGiB", "give a size with its unit"},
	} {
		_, err := ParseTiers(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cache: ") {
			t.Errorf("%q: error %v, want one starting with cache: and containing %q", tc.in, err, tc.want)
		}
	}
}

func TestCapacityBlocks(t *testing.T) {
	const bpb = 512 * 327680 // a 512-token block of LLaMA-3-70B fp16
	for _, tc := range []struct {
		spec TierSpec
		want int
		err  string
	}{
		{TierSpec{Medium: HBM, Bytes: 80 << 30}, 80 << 30 / bpb, ""},
		{TierSpec{Medium: HBM, Tokens: 3_000_000}, 3_000_000 / 512, ""},
		{TierSpec{Medium: HBM, Blocks: 7}, 7, ""},
		{TierSpec{Medium: HBM, Blocks: Unbounded}, Unbounded, ""},
		{TierSpec{Medium: HBM, Bytes: bpb - 1}, 0, "holds no block"},
		{TierSpec{Medium: HBM, Tokens: 511}, 0, "holds no block"},
	} {
		got, err := tc.spec.CapacityBlocks(512, bpb)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %d blocks, %v; want %d", tc.spec, got, err, tc.want)
		}
	}
	if _, err := (TierSpec{Medium: DRAM, Bytes: 1 << 30}).CapacityBlocks(512, 0); err == nil || !strings.Contains(err.Error(), "bytes per block are unknown") {
		t.Errorf("byte size without block bytes: %v", err)
	}
}

func TestLinks(t *testing.T) {
	// The arithmetic in doc.go: PCIe x16 = 16 lanes x rate x 128/130 / 8.
	for name, want := range map[string]float64{PCIe4Name: 31.5076923e9, PCIe5Name: 63.0153846e9, RDMA200Name: 25e9, RDMA400Name: 50e9} {
		l, err := LookupLink(name)
		if err != nil || math.Abs(l.BytesPerSecond-want) > 1e3 {
			t.Errorf("%s: %g B/s, %v; want %g", name, l.BytesPerSecond, err, want)
		}
		if l.Source == "" {
			t.Errorf("%s has no source", name)
		}
	}
	l, _ := LookupLink("4xRDMA200")
	if l.BytesPerSecond != 100e9 || l.LatencySeconds != nicLatency || l.Name != "4xrdma200" {
		t.Errorf("4xrdma200: %+v", l)
	}
	// 40 GiB over 4 x 200 Gb/s at line rate.
	if got := l.Seconds(40 << 30); math.Abs(got-(nicLatency+float64(40<<30)/100e9)) > 1e-12 {
		t.Errorf("Seconds: %g", got)
	}
	if l.Seconds(0) != 0 {
		t.Errorf("no bytes take time")
	}
	pcie := links[PCIe5Name]
	p := links[RDMA200Name].Through(pcie)
	if p.BytesPerSecond != 25e9 || p.LatencySeconds != nicLatency+pcie.LatencySeconds {
		t.Errorf("Through: %+v", p)
	}
}

// A two-tier hierarchy by hand: what hbm evicts lands in dram, what dram
// evicts is dropped, and a block already in dram is refreshed, not copied.
func TestTierDemotion(t *testing.T) {
	hbmCache, _ := New(Config{CapacityBlocks: 2, BlockTokens: 16, BytesPerBlock: 100}, NewLRU())
	dramCache, _ := New(Config{CapacityBlocks: 2, BlockTokens: 16, BytesPerBlock: 100}, NewLRU())
	hbm, err := NewTier(TierSpec{Medium: HBM, Blocks: 2}, hbmCache, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	dram, _ := NewTier(TierSpec{Medium: DRAM, Blocks: 2, Link: links[PCIe5Name]}, dramCache, -1, true)
	hbm.DemoteTo(dram)
	for _, h := range []BlockHash{1, 2, 3, 4} { // 1 and 2 are demoted
		if _, err := hbmCache.Access(h); err != nil {
			t.Fatal(err)
		}
	}
	if !dram.Contains(1) || !dram.Contains(2) || dram.Contains(3) || hbm.Contains(1) {
		t.Fatalf("after 1..4: hbm has 1: %v; dram has 1,2,3: %v %v %v", hbm.Contains(1), dram.Contains(1), dram.Contains(2), dram.Contains(3))
	}
	if dram.Origin(1) != 3 {
		t.Errorf("origin of block 1 is %d, want instance 3", dram.Origin(1))
	}
	if err := dram.Read(1); err != nil { // 1 becomes dram's most recent
		t.Fatal(err)
	}
	if err := dram.Read(9); err == nil {
		t.Errorf("read of a missing block succeeded")
	}
	// Store of a resident block refreshes it; a new one evicts dram's LRU (2), dropped.
	if copied, err := dram.Store(1, 5); copied || err != nil {
		t.Errorf("store of resident block: copied %v, %v", copied, err)
	}
	if copied, err := dram.Store(7, 5); !copied || err != nil {
		t.Errorf("store of new block: copied %v, %v", copied, err)
	}
	if dram.Contains(2) || !dram.Contains(1) || dram.Origin(7) != 5 || dram.Origin(1) != 3 {
		t.Errorf("dram after stores: 2 %v, 1 %v, origin(7) %d, origin(1) %d", dram.Contains(2), dram.Contains(1), dram.Origin(7), dram.Origin(1))
	}
	s := dram.Stats()
	if s.Stored != 3 || s.Refreshed != 1 || s.Dropped != 1 {
		t.Errorf("dram stats %+v, want 3 stored, 1 refreshed, 1 dropped", s)
	}
	for _, tier := range []*Tier{hbm, dram} {
		if p := tier.Cache().Pool(); p.Used() > p.Capacity() {
			t.Errorf("%s: %d used of %d", tier.Spec().Medium, p.Used(), p.Capacity())
		}
	}
	// Shrinking hbm demotes through the same funnel.
	if _, err := hbmCache.Resize(1); err != nil {
		t.Fatal(err)
	}
	if !dram.Contains(3) {
		t.Errorf("resize did not demote block 3")
	}
	if _, err := NewTier(TierSpec{Medium: HBM}, nil, 0, false); err == nil {
		t.Errorf("tier without a cache accepted")
	}
}
