// Package units formats quantities for people: counts with SI suffixes,
// bytes in binary units, durations, rates, speedups and percentages (and
// reads sizes back: ParseBytes). Every
// room that shows a number (the decoder's error messages, report tables,
// the figures, the CLI) formats it here, so a number reads the same
// everywhere.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Count formats a large count with an SI suffix: 174.6B, 8.03B, 124.4M.
func Count(n float64) string {
	abs := math.Abs(n)
	switch {
	case abs >= 1e18:
		return fmt.Sprintf("%.3gE", n/1e18)
	case abs >= 1e15:
		return fmt.Sprintf("%.4gP", n/1e15)
	case abs >= 1e12:
		return fmt.Sprintf("%.4gT", n/1e12)
	case abs >= 1e9:
		return fmt.Sprintf("%.4gB", n/1e9)
	case abs >= 1e6:
		return fmt.Sprintf("%.4gM", n/1e6)
	case abs >= 1e3:
		return fmt.Sprintf("%.4gK", n/1e3)
	}
	return fmt.Sprintf("%.4g", n)
}

// Bytes formats a byte count in binary units: 320 KiB, 1.5 GiB.
func Bytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(n) >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.4g %s", n, units[i])
}

// Seconds formats a duration given in seconds with a fitting unit.
func Seconds(s float64) string {
	abs := math.Abs(s)
	switch {
	case abs == 0:
		return "0 s"
	case abs < 1e-6:
		return fmt.Sprintf("%.3g ns", s*1e9)
	case abs < 1e-3:
		return fmt.Sprintf("%.3g µs", s*1e6)
	case abs < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g s", s)
}

// Percent formats a rate in [0, 1] as a percentage with one decimal: 36.4%.
func Percent(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

// Times formats a speedup or a ratio: 4.90x, 13x (no decimals from 10 on).
func Times(x float64) string {
	if x >= 10 {
		return strconv.FormatFloat(x, 'f', 0, 64) + "x"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "x"
}

// GiB converts bytes to GiB.
func GiB(bytes float64) float64 { return bytes / (1 << 30) }

// GiBLabel formats a size given in GiB with 3 significant digits, in MiB
// below 1 GiB: 80 GiB, 1.25 GiB, 512 MiB.
func GiBLabel(g float64) string {
	switch {
	case g >= 100:
		return fmt.Sprintf("%.0f GiB", g)
	case g >= 1:
		return fmt.Sprintf("%.3g GiB", g)
	}
	return fmt.Sprintf("%.3g MiB", g*1024)
}

// Thousands writes n with comma separators: 12,345.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseBytes reads a positive size: 80GiB, 512MiB, 1.5TB, 1e9 or a plain
// number of bytes (binary units KiB..TiB, decimal kB..TB, case-insensitive).
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
	}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) || v*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("units: %q is no size: give a positive size such as 80GiB, 512MiB or 1e9", s)
	}
	return int64(v * mult), nil
}
