//go:build unix

package bench

import (
	"os"
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system). On SQLite
// the database engine runs in the process, so a query's CPU time is what it
// would take on an idle machine; on a shared one wall time also counts the
// waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB is a finished child process's peak resident memory in MB
// (Linux reports kilobytes).
func peakRSSMB(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) * 1024 / 1e6
	}
	return 0
}
