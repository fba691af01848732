package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Router names accepted by TieredConfig.Router; doc.go defines each.
const (
	RoundRobin  = "round-robin"  // request r goes to instance r mod N
	LeastLoaded = "least-loaded" // least prefill work queued (needs a timer)
	CacheAware  = "cache-aware"  // SGLang's cache_aware: longest prefix above a match threshold, guarded by load balance
	MinTTFT     = "min-ttft"     // least estimated TTFT: queue + load + prefill (Mooncake's Conductor; needs a timer)
	RandomRoute = "random"       // seeded uniform choice, the baseline of the Mooncake paper's Figure 5
)

// RouterNames lists the routers.
func RouterNames() []string {
	return []string{RoundRobin, LeastLoaded, CacheAware, MinTTFT, RandomRoute}
}

// CanonicalRouter returns the name a router is known by ("rr" ->
// "round-robin", "prefix" -> "cache-aware", "mooncake" -> "min-ttft"), or
// an error listing them.
func CanonicalRouter(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.NewReplacer("_", "-", " ", "-").Replace(n)
	switch n {
	case "", "rr", "roundrobin":
		return RoundRobin, nil
	case "ll", "leastloaded", "load-balancing":
		return LeastLoaded, nil
	case "cacheaware", "prefix", "prefix-aware", "cache":
		return CacheAware, nil
	case "minttft", "ttft", "mooncake", "conductor":
		return MinTTFT, nil
	}
	for _, r := range RouterNames() {
		if n == r {
			return r, nil
		}
	}
	names := RouterNames()
	sort.Strings(names)
	return "", fmt.Errorf("sim: unknown router %q: use one of %s", name, strings.Join(names, ", "))
}

// CacheAwareConfig holds the cache-aware router's thresholds. The defaults
// are those of the SGLang gateway and the vLLM router (cache_aware policy),
// as documented for sglang-gateway v0.3.1 and vllm-router v0.1.15:
// --cache-threshold 0.3, --balance-abs-threshold 64, --balance-rel-threshold 1.5.
type CacheAwareConfig struct {
	Threshold  float64 `json:"threshold"`   // a prefix counts when it covers more than this share of the prompt's tokens
	BalanceAbs int     `json:"balance_abs"` // loads are out of balance when max - min exceeds this ...
	BalanceRel float64 `json:"balance_rel"` // ... and max exceeds this times min
}

// DefaultCacheAware is the SGLang gateway's cache_aware configuration.
var DefaultCacheAware = CacheAwareConfig{Threshold: 0.3, BalanceAbs: 64, BalanceRel: 1.5}

func (c CacheAwareConfig) normalized() (CacheAwareConfig, error) {
	if c == (CacheAwareConfig{}) {
		return DefaultCacheAware, nil
	}
	if !(c.Threshold >= 0 && c.Threshold <= 1) || c.BalanceAbs < 0 || !(c.BalanceRel >= 1) || math.IsInf(c.BalanceRel, 0) {
		return c, fmt.Errorf("sim: cache-aware thresholds %+v: need 0 <= Threshold <= 1, BalanceAbs >= 0, BalanceRel >= 1 (the zero value means %+v)", c, DefaultCacheAware)
	}
	return c, nil
}

// router picks the instance for each request. Loads and prefixes come from
// the engine, which owns the instances.
type router struct {
	name  string
	next  int        // round-robin
	rng   *rand.Rand // random
	timed bool       // a StepTimer gives instance loads in seconds
	ca    CacheAwareConfig
}

func newRouter(name string, seed uint64, timed bool, ca CacheAwareConfig) (*router, error) {
	n, err := CanonicalRouter(name)
	if err != nil {
		return nil, err
	}
	if (n == LeastLoaded || n == MinTTFT) && !timed {
		return nil, fmt.Errorf("sim: router %s needs a StepTimer (--model and --hardware): it weighs the prefill work queued on each instance, in seconds", n)
	}
	if ca, err = ca.normalized(); err != nil {
		return nil, err
	}
	return &router{name: n, rng: rand.New(rand.NewPCG(seed, 0x6b76636163686500)), timed: timed, ca: ca}, nil
}

// routeView is what a router reads about the instances when a request
// arrives.
type routeView interface {
	queued(i int) float64        // prefill seconds queued on instance i (timed)
	load(i int) int              // requests in flight on i (timed), else routed to i so far
	routed(i int) int            // requests routed to i so far
	prefix(i int) (any, gpu int) // i's longest cached prefix for the request, in any tier and in its GPU tier
	matched(i int) float64       // i's cached prefix as a share of the prompt's tokens
	cached(i int) int            // blocks resident in i's GPU tier
	ttft(i int) float64          // i's estimated TTFT for the request (timed)
}

// pick chooses one of n instances; ties go to the lower index.
func (r *router) pick(n int, v routeView) int {
	switch r.name {
	case RoundRobin:
		i := r.next
		r.next = (r.next + 1) % n
		return i
	case RandomRoute:
		return r.rng.IntN(n)
	case MinTTFT:
		best, bestT := 0, v.ttft(0)
		for i := 1; i < n; i++ {
			if t := v.ttft(i); t < bestT || (t == bestT && r.lessLoaded(i, best, v)) {
				best, bestT = i, t
			}
		}
		return best
	case LeastLoaded:
		return r.leastLoaded(n, v)
	}
	// cache-aware: the least loaded instance when loads are out of balance;
	// else the longest prefix if it covers enough of the prompt; else the
	// instance with the fewest cached blocks.
	lo, hi := v.load(0), v.load(0)
	for i := 1; i < n; i++ {
		lo, hi = min(lo, v.load(i)), max(hi, v.load(i))
	}
	if hi-lo > r.ca.BalanceAbs && float64(hi) > r.ca.BalanceRel*float64(lo) {
		return r.leastLoaded(n, v)
	}
	best, bestAny, bestGPU := 0, -1, -1
	for i := range n {
		a, g := v.prefix(i)
		if a > bestAny || (a == bestAny && (g > bestGPU || (g == bestGPU && r.lessLoaded(i, best, v)))) {
			best, bestAny, bestGPU = i, a, g
		}
	}
	if v.matched(best) > r.ca.Threshold {
		return best
	}
	best = 0
	for i := 1; i < n; i++ {
		if c, cb := v.cached(i), v.cached(best); c < cb || (c == cb && r.lessLoaded(i, best, v)) {
			best = i
		}
	}
	return best
}

func (r *router) leastLoaded(n int, v routeView) int {
	best := 0
	for i := 1; i < n; i++ {
		if r.lessLoaded(i, best, v) {
			best = i
		}
	}
	return best
}

// lessLoaded: least queued prefill seconds when timed, then fewest requests
// routed so far.
func (r *router) lessLoaded(i, j int, v routeView) bool {
	if r.timed {
		if qi, qj := v.queued(i), v.queued(j); qi != qj {
			return qi < qj
		}
	}
	return v.routed(i) < v.routed(j)
}
