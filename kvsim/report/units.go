package report

import (
	"fmt"
	"math"
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
