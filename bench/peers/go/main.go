// Go peer for the async-runtime peer benchmarks (W1-W5). Standard library only.
//
// Usage: go-peer <w1|w2a|w2b|w3|spawn|echo-server|http-client|http-server> [flags]
//
// GOMAXPROCS is Go's default (the number of CPUs in the affinity mask), so
// `taskset -c 0 go-peer ...` runs with GOMAXPROCS=1.
// Every result is printed as a line `METRIC name value unit`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Same 64-bit LCG (Knuth MMIX constants) in every peer, so W3 sleeps the same delays.
const lcgA uint64 = 6364136223846793005
const lcgC uint64 = 1442695040888963407

func metric(name string, value string, unit string) {
	fmt.Printf("METRIC %s %s %s\n", name, value, unit)
}

// peakRSS returns VmHWM, the kernel's high-water mark of this process's resident
// set, in KiB. (getrusage's ru_maxrss is not used: after fork+exec it can report
// the parent's size, e.g. that of a Python harness that started us.)
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				v, _ := strconv.ParseInt(f[1], 10, 64)
				return v
			}
		}
	}
	return -1
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru // Maxrss is in KiB on Linux
}

// W1: spawn n goroutines that each produce a small value at once, then join them all.
func w1(n int) {
	t0 := time.Now()
	results := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			results[i] = i * 2
			wg.Done()
		}(i)
	}
	wg.Wait()
	dt := time.Since(t0).Seconds()
	sum := 0
	for _, v := range results {
		sum += v
	}
	ok := n == 0 || sum == n*(n-1)
	metric("w1.tasks", fmt.Sprint(n), "count")
	metric("w1.wall", fmt.Sprintf("%.6f", dt), "s")
	if n > 0 {
		metric("w1.ns_per_task", fmt.Sprintf("%.1f", dt*1e9/float64(n)), "ns")
	}
	metric("w1.ok", b2s(ok), "bool")
}

// W2a: one goroutine yields m times.
func w2a(m int) {
	done := make(chan float64)
	go func() {
		t0 := time.Now()
		for i := 0; i < m; i++ {
			runtime.Gosched()
		}
		done <- time.Since(t0).Seconds()
	}()
	dt := <-done
	metric("w2a.yields", fmt.Sprint(m), "count")
	metric("w2a.wall", fmt.Sprintf("%.6f", dt), "s")
	metric("w2a.ns_per_yield", fmt.Sprintf("%.1f", dt*1e9/float64(m)), "ns")
}

// W2b: two goroutines ping-pong m round trips through two one-slot channels.
func w2b(m int) {
	ping := make(chan int, 1)
	pong := make(chan int, 1)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	type res struct {
		dt  float64
		acc int
	}
	done := make(chan res)
	go func() {
		t0 := time.Now()
		acc := 0
		for i := 0; i < m; i++ {
			ping <- i
			acc += <-pong - i
		}
		dt := time.Since(t0).Seconds()
		close(ping)
		done <- res{dt, acc}
	}()
	r := <-done
	metric("w2b.round_trips", fmt.Sprint(m), "count")
	metric("w2b.wall", fmt.Sprintf("%.6f", r.dt), "s")
	metric("w2b.ns_per_round_trip", fmt.Sprintf("%.1f", r.dt*1e9/float64(m)), "ns")
	metric("w2b.ok", b2s(r.acc == m), "bool")
}

// W3: n goroutines each sleep a pseudo-random 0..=1000 ms, then finish.
func w3(n int, seed uint64) {
	t0 := time.Now()
	x := seed
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		x = x*lcgA + lcgC
		d := time.Duration((x>>33)%1001) * time.Millisecond
		go func(d time.Duration) {
			time.Sleep(d)
			wg.Done()
		}(d)
	}
	spawned := time.Since(t0).Seconds()
	wg.Wait()
	dt := time.Since(t0).Seconds()
	metric("w3.tasks", fmt.Sprint(n), "count")
	metric("w3.spawn_wall", fmt.Sprintf("%.6f", spawned), "s")
	metric("w3.wall", fmt.Sprintf("%.6f", dt), "s")
}

// W4: TCP echo server, one goroutine per connection.
func echoServer(port int) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("READY 127.0.0.1:%d\n", port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			buf := make([]byte, 65536)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}

// W5: HTTP client, n GET requests with `conc` in flight over keep-alive connections.
func httpClient(url string, n int, conc int, want string) {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &http.Client{Transport: tr}
	var next int64 = -1
	var okCount, errCount int64
	var wg sync.WaitGroup
	t0, c0 := time.Now(), cpuSeconds()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v struct {
				IP string `json:"ip"`
			}
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(n) {
					return
				}
				resp, err := client.Get(url)
				if err != nil {
					atomic.AddInt64(&errCount, 1)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					atomic.AddInt64(&errCount, 1)
					continue
				}
				v.IP = ""
				if json.Unmarshal(body, &v) == nil && v.IP == want {
					atomic.AddInt64(&okCount, 1)
				} else {
					atomic.AddInt64(&errCount, 1)
				}
			}
		}()
	}
	wg.Wait()
	dt, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
	metric("w5.requests", fmt.Sprint(n), "count")
	metric("w5.ok", fmt.Sprint(okCount), "count")
	metric("w5.errors", fmt.Sprint(errCount), "count")
	metric("w5.wall", fmt.Sprintf("%.6f", dt), "s")
	metric("w5.req_per_s", fmt.Sprintf("%.1f", float64(okCount)/dt), "req/s")
	metric("w5.client_cpu", fmt.Sprintf("%.3f", cpu), "s")
	metric("w5.cpu_per_req", fmt.Sprintf("%.1f", cpu*1e6/float64(n)), "us")
}

// The 313-byte ip.json of bench/peers/nginx/www, served by httpServer.
const ipJSON = "{\"ip\": \"203.0.113.7\", \"hostname\": \"host-203-0-113-7.example.net\", \"city\": \"Springfield\", \"region\": \"Example Region\", \"country\": \"ZZ\", \"loc\": \"0.0000,0.0000\", \"org\": \"AS64500 Example Networks (documentation address range)\", \"postal\": \"00000\", \"timezone\": \"Etc/UTC\", \"asn\": 64500, \"anycast\": false, \"bogon\": false}\n"

// HTTP server: net/http serving ipJSON at /ip.json (application/json) on
// 127.0.0.1:port until killed; prints "READY 127.0.0.1:port" once listening.
func httpServer(port int) {
	body := []byte(ipJSON)
	mux := http.NewServeMux()
	mux.HandleFunc("/ip.json", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "http-server:", err)
		os.Exit(1)
	}
	fmt.Printf("READY 127.0.0.1:%d\n", port)
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "http-server:", err)
		os.Exit(1)
	}
}

// user + system CPU seconds of this process (all threads).
func cpuSeconds() float64 {
	ru := rusage()
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 + float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// spawn: start and wait for n /bin/true, c at a time (os/exec, which
// starts a child with clone(CLONE_VFORK|CLONE_VM)). The child inherits our
// stdin, stdout and stderr, as with cio and asyncio (os/exec would open
// /dev/null for each one left nil).
func spawnBench(n, c int) {
	if c < 1 {
		c = 1
	}
	t0 := time.Now()
	left := int64(n)
	var bad int64
	var wg sync.WaitGroup
	wg.Add(c)
	for w := 0; w < c; w++ {
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&left, -1) >= 0 {
				cmd := exec.Command("/bin/true")
				cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
				if err := cmd.Run(); err != nil && atomic.AddInt64(&bad, 1) == 1 {
					fmt.Fprintln(os.Stderr, "go-peer spawn:", err)
				}
			}
		}()
	}
	wg.Wait()
	dt := time.Since(t0).Seconds()
	metric("spawn.processes", fmt.Sprint(n), "count")
	metric("spawn.concurrency", fmt.Sprint(c), "count")
	metric("spawn.wall", fmt.Sprintf("%.6f", dt), "s")
	if n > 0 {
		metric("spawn.us_per_process", fmt.Sprintf("%.1f", dt*1e6/float64(n)), "us")
	}
	metric("spawn.ok", b2s(bad == 0), "bool")
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-peer <w1|w2a|w2b|w3|spawn|echo-server|http-client|http-server> [flags]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	defN := map[string]int{"w1": 1000000, "w3": 100000, "spawn": 1000, "http-client": 20000}[cmd]
	defC := map[string]int{"spawn": 16}[cmd]
	if defC == 0 {
		defC = 64
	}
	defM := map[string]int{"w2a": 1000000, "w2b": 200000}[cmd]
	n := fs.Int("n", defN, "tasks / requests")
	m := fs.Int("m", defM, "yields / round trips")
	seed := fs.Uint64("seed", 42, "LCG seed for W3")
	port := fs.Int("port", 28001, "echo server port")
	url := fs.String("url", "http://127.0.0.1:28080/ip.json", "URL for http-client")
	conc := fs.Int("c", defC, "requests in flight for http-client, children at a time for spawn")
	want := fs.String("want", "203.0.113.7", "expected value of the \"ip\" field")
	fs.Parse(os.Args[2:])
	switch cmd {
	case "w1":
		w1(*n)
	case "w2a":
		w2a(*m)
	case "w2b":
		w2b(*m)
	case "w3":
		w3(*n, *seed)
	case "spawn":
		spawnBench(*n, *conc)
	case "echo-server":
		echoServer(*port)
	case "http-client":
		httpClient(*url, *n, *conc, *want)
	case "http-server":
		httpServer(*port)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(2)
	}
	metric("go.gomaxprocs", fmt.Sprint(runtime.GOMAXPROCS(0)), "count")
	ru := rusage()
	metric("minflt", fmt.Sprint(ru.Minflt), "count")
	metric("peak_rss", fmt.Sprint(peakRSS()), "KiB")
}
