// cpuhog burns CPU in two functions of known shares (about 2:1, or HOT_MS:COLD_MS per round
// when given) while runtime/pprof writes a CPU profile to the file named by its first
// argument: kiln's pprof reader must agree with `go tool pprof` on it.
//
//	cpuhog OUT.pb.gz [HOT_MS COLD_MS]
//
// With HEAP_PROFILE=PATH in the environment it also writes a heap profile there.
package main

import (
	"os"
	"runtime"
	"strconv"
	"runtime/pprof"
	"time"
)

var sink uint64

//go:noinline
func spin(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func hotTwoThirds(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		sink += spin(20000)
	}
}

//go:noinline
func coldOneThird(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		sink += spin(20000)
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	hot, cold := 100, 50
	if len(os.Args) == 4 {
		hot, _ = strconv.Atoi(os.Args[2])
		cold, _ = strconv.Atoi(os.Args[3])
	}
	for i := 0; i < 10; i++ {
		hotTwoThirds(time.Duration(hot) * time.Millisecond)
		coldOneThird(time.Duration(cold) * time.Millisecond)
	}
	pprof.StopCPUProfile()
	f.Close()
	if path := os.Getenv("HEAP_PROFILE"); path != "" {
		writeHeapProfile(path)
	}
}

var keep [][]byte

// writeHeapProfile allocates in a known pattern and writes a heap profile: four sample types,
// numeric labels with units, a default sample type, all things CPU profiles lack.
func writeHeapProfile(path string) {
	runtime.MemProfileRate = 1
	for i := 0; i < 1000; i++ {
		keep = append(keep, make([]byte, 1024))
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		panic(err)
	}
	f.Close()
}
