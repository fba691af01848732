package study

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"

	"kvcache/kvsim/cost"
)

// Result is what every study returns. Study names it (a Lab saves it as
// data/<Study>.json), Origin says where it came from, Summary is one line
// for a log.
type Result interface {
	Study() string
	Origin() Provenance
	Summary() string
}

// Provenance is where a result came from: when, how long it took, on
// which machine. Each result embeds one; the settings it was computed
// with are the result's own fields (model, tokens, hardware, ...).
type Provenance struct {
	Computed time.Time `json:"computed"`
	Took     float64   `json:"took_s"` // wall time of the study
	Machine  Machine   `json:"machine"`
}

// Origin returns p: every result embeds a Provenance.
func (p Provenance) Origin() Provenance { return p }

// stamp is the provenance of a study that started at start and ends now.
func stamp(start time.Time) Provenance {
	return Provenance{Computed: time.Now().UTC().Truncate(time.Second), Took: time.Since(start).Seconds(), Machine: ThisMachine()}
}

// Machine is the computer a result was computed on.
type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"` // logical CPUs
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// ThisMachine describes this computer.
func ThisMachine() Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// Environment is the machine the report's numbers come from, with this-cpu
// as kvsim predict measures it.
type Environment struct {
	Machine
	Date    time.Time        `json:"date"`
	ThisCPU cost.Calibration `json:"this_cpu"`
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
	return Environment{Machine: ThisMachine(), Date: time.Now().UTC().Truncate(time.Second), ThisCPU: c}
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
