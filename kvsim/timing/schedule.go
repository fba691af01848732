package timing

// Turn is one timed run of a schedule: which repeat, which path.
type Turn struct {
	Repeat int
	Path   int
}

// Schedule is the order in which repeats runs of each of paths paths are
// timed: repeat r runs every path once, starting with path r mod paths and
// going round, so each path runs first, second, ... equally often and drift
// in the machine's speed is shared out.
func Schedule(paths, repeats int) []Turn {
	if paths <= 0 || repeats <= 0 {
		return nil
	}
	out := make([]Turn, 0, paths*repeats)
	for r := range repeats {
		for i := range paths {
			out = append(out, Turn{Repeat: r, Path: (r + i) % paths})
		}
	}
	return out
}
