package cache

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Link is the path a KV block takes from a tier into GPU memory: a
// bandwidth in one direction and a fixed latency per transfer. Moving n
// bytes in one transfer takes
//
//	t(n) = LatencySeconds + n / BytesPerSecond     (0 for n = 0)
//
// Bandwidths are the named source's peak (line rate after encoding), so a
// load time is a lower bound: measured transfers reach less (kvsim/sim's
// published reference numbers show how much).
type Link struct {
	Name           string  `json:"name"`
	BytesPerSecond float64 `json:"bytes_per_second"` // one direction
	LatencySeconds float64 `json:"latency_seconds"`  // per transfer
	Source         string  `json:"source"`
}

// Seconds is the time to move bytes in one transfer: latency plus bytes
// over bandwidth; 0 for no bytes.
func (l Link) Seconds(bytes int64) float64 {
	if bytes <= 0 {
		return 0
	}
	return l.LatencySeconds + float64(bytes)/l.BytesPerSecond
}

// Through is the path over l and then m: the latencies add and the slower
// bandwidth limits (a block in another node's memory crosses the network,
// then lands in GPU memory).
func (l Link) Through(m Link) Link {
	return Link{
		Name:           l.Name + "+" + m.Name,
		BytesPerSecond: math.Min(l.BytesPerSecond, m.BytesPerSecond),
		LatencySeconds: l.LatencySeconds + m.LatencySeconds,
		Source:         l.Source + "; " + m.Source,
	}
}

// Times is n links of the same kind used at once (four NICs, or one PCIe
// link per tensor-parallel GPU): n times the bandwidth, the same latency.
func (l Link) Times(n int) Link {
	if n <= 1 {
		return l
	}
	l.Name = fmt.Sprintf("%dx%s", n, l.Name)
	l.BytesPerSecond *= float64(n)
	return l
}

// IsZero reports whether l is the zero Link (no path: the data is already
// in GPU memory, or no fabric is modelled).
func (l Link) IsZero() bool { return l.BytesPerSecond == 0 && l.LatencySeconds == 0 }

func (l Link) validate() error {
	if !(l.BytesPerSecond > 0) || math.IsInf(l.BytesPerSecond, 0) {
		return fmt.Errorf("cache: link %q: bandwidth %g bytes/s: must be positive and finite", l.Name, l.BytesPerSecond)
	}
	if l.LatencySeconds < 0 || math.IsNaN(l.LatencySeconds) || math.IsInf(l.LatencySeconds, 0) {
		return fmt.Errorf("cache: link %q: latency %g s: must be finite and >= 0", l.Name, l.LatencySeconds)
	}
	return nil
}

// Link names accepted by LookupLink; an "Nx" prefix ("4xrdma200") takes N
// links at once.
const (
	PCIe4Name   = "pcie4"
	PCIe5Name   = "pcie5"
	NVMe4Name   = "nvme4"
	NVMe5Name   = "nvme5"
	RDMA200Name = "rdma200"
	RDMA400Name = "rdma400"
)

// pcieCopyLatency is the per-call overhead of cudaMemcpyAsync.
const (
	pcieCopyLatency   = 5e-6
	pcieLatencySource = "latency: cudaMemcpyAsync per-copy overhead of about 5-7 us (Wu et al., DualPath, arXiv:2602.21548, sec. 5.2), low end"
	nvmeLatency       = 85e-6
	nvmeLatencySource = "latency: 85 us random read access (Intel SSD DC P4500 1-2 TB, Lenovo product guide)"
	nicLatency        = 600e-9
)

// links are the presets, from datasheets and specifications; doc.go lists
// the arithmetic.
var links = map[string]Link{
	PCIe4Name: {Name: PCIe4Name, BytesPerSecond: 16 * 16e9 * 128 / 130 / 8, LatencySeconds: pcieCopyLatency,
		Source: "PCI Express Base Specification 4.0 (PCI-SIG): 16 GT/s per lane, 128b/130b encoding, x16 = 31.5 GB/s each way; " + pcieLatencySource},
	PCIe5Name: {Name: PCIe5Name, BytesPerSecond: 16 * 32e9 * 128 / 130 / 8, LatencySeconds: pcieCopyLatency,
		Source: "PCI Express Base Specification 5.0 (PCI-SIG, 2019): 32 GT/s per lane, 128b/130b encoding, x16 = 63.0 GB/s each way (128 GB/s both ways); " + pcieLatencySource},
	NVMe4Name: {Name: NVMe4Name, BytesPerSecond: 6500e6, LatencySeconds: nvmeLatency,
		Source: "Samsung PM9A3 NVMe SSD (PCIe 4.0 x4, U.2/E1.S): sequential read up to 6,500 MB/s (Samsung announcement, May 2020); " + nvmeLatencySource},
	NVMe5Name: {Name: NVMe5Name, BytesPerSecond: 13000e6, LatencySeconds: nvmeLatency,
		Source: "Samsung PM1743 NVMe SSD (PCIe 5.0 x4): sequential read up to 13,000 MB/s (Samsung announcement, Dec 2021); " + nvmeLatencySource},
	RDMA200Name: {Name: RDMA200Name, BytesPerSecond: 200e9 / 8, LatencySeconds: nicLatency,
		Source: "NVIDIA ConnectX-6 VPI adapter user manual: 200 Gb/s (25 GB/s), sub-600 ns latency"},
	RDMA400Name: {Name: RDMA400Name, BytesPerSecond: 400e9 / 8, LatencySeconds: nicLatency,
		Source: "NVIDIA ConnectX-7 adapter user manual: NDR 400 Gb/s (50 GB/s); latency taken as ConnectX-6's sub-600 ns"},
}

// LinkNames lists the link presets, sorted.
func LinkNames() []string {
	out := make([]string, 0, len(links))
	for n := range links {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupLink returns a link preset by name; "4xrdma200" is four rdma200
// links used at once.
func LookupLink(name string) (Link, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	count := 1
	if i := strings.IndexByte(n, 'x'); i > 0 {
		if c, err := strconv.Atoi(n[:i]); err == nil {
			if c < 1 || c > 1024 {
				return Link{}, fmt.Errorf("cache: link %q: %d links: give 1 to 1024", name, c)
			}
			count, n = c, n[i+1:]
		}
	}
	l, ok := links[n]
	if !ok {
		return Link{}, fmt.Errorf("cache: unknown link %q: use one of %s, optionally as Nx<link> (e.g. 4xrdma200)", name, strings.Join(LinkNames(), ", "))
	}
	return l.Times(count), nil
}
