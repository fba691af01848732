// Package timing is the measurement discipline every time kvsim shows
// follows: warm-up that is not counted, several repeats with the compared
// paths interleaved so that drift hits them alike, the median shown with its
// spread, and differences inside the noise called so rather than ranked.
//
// # Repeats, interleaved
//
// Schedule(paths, repeats) is the order in which a benchmark runs its
// paths: every repeat runs each path once, and the repeat's first path
// rotates (cached, uncached; then uncached, cached; ...), so a machine that
// speeds up or slows down during the run spreads its drift over every path
// instead of charging it to whichever ran last.
//
// # Spread
//
// Of(xs) describes repeated measurements: their count, median, quartiles,
// 10th and 90th percentiles (linear interpolation between order statistics,
// Hyndman and Fan's definition 7, the default of R and NumPy) and the
// extremes. With three to five repeats the honest band is min to max:
//
//	s := timing.Of([]float64{0.212, 0.198, 0.205}) // seconds of three repeats
//	s.Median, s.Min, s.Max                         // 0.205, 0.198, 0.212
//	s.Noise()                                      // (max - min) / median: 0.068
//
// # Within noise, and impossible orderings
//
// Rank(a, b) compares two timed paths. Their medians are ranked only when
// their min-max ranges do not overlap; otherwise the difference is "within
// noise". A path that does at least as much work as the other in every
// count (FLOPs and bytes) cannot be faster than it on the same machine; when
// it measures faster beyond the noise, the ordering is flagged as noise
// (Ranking.Impossible) and never drawn as a result: recompute, which runs
// the full cache's work plus the recomputed prefix, timed faster than the
// full cache is the machine's noise, not a finding.
//
// # A busy machine
//
// StartLoad samples the CPU time of the whole machine and of this process;
// Load.OthersBusy is how many cores other processes kept busy since. A
// measurement records it beside its times, so a reader can tell a quiet
// run from one taken while something else compiled.
package timing
