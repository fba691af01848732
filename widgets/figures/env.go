package figures

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"

	"kvcache/kvsim/cost"
)

// Environment is the machine the numbers come from.
type Environment struct {
	CPU        string           `json:"cpu"`
	Cores      int              `json:"cores"` // logical CPUs
	GOMAXPROCS int              `json:"gomaxprocs"`
	GoVersion  string           `json:"go_version"`
	OS         string           `json:"os"`
	Arch       string           `json:"arch"`
	Date       time.Time        `json:"date"`
	ThisCPU    cost.Calibration `json:"this_cpu"` // this-cpu as kvsim predict measures it
}

// NewEnvironment describes this machine; cal measures this-cpu (once).
func NewEnvironment(cal *cost.Calibrator) (Environment, error) {
	c, err := cal.Calibration()
	if err != nil {
		return Environment{}, err
	}
	return environmentWith(c), nil
}

// environmentWith describes this machine with a this-cpu calibration
// already measured.
func environmentWith(c cost.Calibration) Environment {
	return Environment{CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, Date: time.Now().UTC().Truncate(time.Second), ThisCPU: c}
}

// cpuModel is the "model name" line of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown (" + runtime.GOOS + "/" + runtime.GOARCH + ")"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown (" + runtime.GOOS + "/" + runtime.GOARCH + ")"
}
