package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

// TestPublicMeetingsLoad is a bounded load run of the public meeting pages
// (issue 12: 200 requests/s with p99 under 100 ms). It is a measurement, not
// part of the suite: it runs only with METERSEC_LOAD set, e.g.
//
//	METERSEC_LOAD=20s go test ./internal/bench -run TestPublicMeetingsLoad -v
//
// (METERSEC_LOAD_RATE changes the rate). The generator is open-loop: it
// starts requests on a fixed schedule whether or not earlier ones finished,
// so a slow server shows as latency, not as a lower rate.
func TestPublicMeetingsLoad(t *testing.T) {
	dur, err := time.ParseDuration(os.Getenv("METERSEC_LOAD"))
	if err != nil || dur <= 0 || dur > 60*time.Second {
		t.Skip("set METERSEC_LOAD to a duration up to 60s to run the load test")
	}
	rate := 200
	if r, err := strconv.Atoi(os.Getenv("METERSEC_LOAD_RATE")); err == nil && r > 0 {
		rate = r
	}
	engine := store.SQLite
	if os.Getenv("METERSEC_TEST_POSTGRES") != "" && os.Getenv("METERSEC_LOAD_ENGINE") == "postgres" {
		engine = store.Postgres
	}
	db := storetest.Open(t, engine)
	ctx := context.Background()
	for n := 1; n <= 3; n++ {
		if err := Meeting(ctx, db, n, MeetingItems); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := web.New(web.Config{DB: db, Version: "load"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	paths := []string{"/public/meetings", "/public/meetings/1", "/api/v1/public/meetings/2/headlines", "/public/meetings/3/headlines.pdf"}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}

	type result struct {
		path string
		took time.Duration
		ok   bool
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	total := int(dur / interval)
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func(path string) {
			defer wg.Done()
			t0 := time.Now()
			resp, err := client.Get(ts.URL + path)
			ok := err == nil
			if ok {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok = err == nil && resp.StatusCode == 200
			}
			r := result{path, time.Since(t0), ok}
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}(paths[i%len(paths)])
	}
	wg.Wait()
	elapsed := time.Since(start)
	var lat []time.Duration
	failed := 0
	byPath := map[string][]time.Duration{}
	for _, r := range results {
		if !r.ok {
			failed++
		}
		lat = append(lat, r.took)
		byPath[r.path] = append(byPath[r.path], r.took)
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	achieved := float64(len(results)) / elapsed.Seconds()
	t.Logf("%s, %d requests at %d/s offered, %.1f/s achieved, %d failed: p50 %v, p99 %v, max %v",
		engine, len(results), rate, achieved, failed, pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1))
	for _, p := range paths {
		ds := byPath[p]
		t.Logf("  %-40s p50 %v  p99 %v", p, pct(ds, 0.50), pct(ds, 0.99))
	}
	if failed > 0 {
		t.Errorf("%d requests failed", failed)
	}
	if p99 := pct(lat, 0.99); p99 >= 100*time.Millisecond {
		t.Errorf("p99 %v, want under 100 ms", p99)
	}
	if achieved < float64(rate)*0.95 {
		t.Errorf("achieved %.1f requests/s, want %d", achieved, rate)
	}
	fmt.Fprint(io.Discard)
}
