package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// row is one target at one setting.
type row struct {
	Target        string  `json:"target"`
	Stream        bool    `json:"stream"`
	Concurrency   int     `json:"concurrency"`
	Calls         int     `json:"calls"`
	Errors        int     `json:"errors"`
	Throughput    float64 `json:"throughput_per_s"`
	LatencyP50MS  float64 `json:"latency_p50_ms"`
	LatencyP99MS  float64 `json:"latency_p99_ms"`
	TTFTP50MS     float64 `json:"ttft_p50_ms"`
	TTFTP99MS     float64 `json:"ttft_p99_ms"`
	AddedP50MS    float64 `json:"added_latency_p50_ms"` // over direct
	AddedTTFTMS   float64 `json:"added_ttft_p50_ms"`    // over direct
	CPUPerCallMS  float64 `json:"cpu_per_call_ms"`
	AddedVsFloor  float64 `json:"added_latency_ratio_to_floor"`
	AddedMinusF   float64 `json:"added_latency_minus_floor_ms"` // meaningful where the floor adds ~0
	ThroughputVsF float64 `json:"throughput_ratio_to_floor"`
	CPUVsFloor    float64 `json:"cpu_ratio_to_floor"`
	TTFTVsFloorMS float64 `json:"added_ttft_minus_floor_ms"`
}

type report struct {
	Date           string           `json:"date"`
	Cores          int              `json:"cores"`
	Slice          string           `json:"slice"`
	Rounds         int              `json:"rounds"`
	AnswerEvents   int              `json:"answer_events"`
	Rows           []row            `json:"rows"`
	BytesPerStream map[string]int64 `json:"bytes_per_open_stream"`
	PeakRSS        map[string]int64 `json:"peak_rss_bytes"`
	Recorded       []recordCheck    `json:"recorded"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func buildReport(opt options, results map[key]*result, perStream, peak map[string]int64, check []recordCheck) *report {
	rep := &report{Date: time.Now().UTC().Format(time.RFC3339), Cores: runtime.NumCPU(), Slice: opt.slice.String(), Rounds: opt.rounds,
		AnswerEvents: opt.answerWords, BytesPerStream: perStream, PeakRSS: peak, Recorded: check}
	for _, stream := range []bool{false, true} {
		for _, conc := range opt.concurrency {
			rows := map[string]*row{}
			for _, name := range opt.targetNames() {
				r := results[key{name, stream, conc}]
				if r == nil {
					continue
				}
				lat, ttft := make([]time.Duration, len(r.samples)), make([]time.Duration, len(r.samples))
				for i, s := range r.samples {
					lat[i], ttft[i] = s.latency, s.ttft
				}
				x := &row{Target: name, Stream: stream, Concurrency: conc, Calls: len(r.samples), Errors: r.errors,
					Throughput: float64(len(r.samples)) / r.elapsed.Seconds(), LatencyP50MS: ms(percentile(lat, 0.5)),
					LatencyP99MS: ms(percentile(lat, 0.99)), TTFTP50MS: ms(percentile(ttft, 0.5)), TTFTP99MS: ms(percentile(ttft, 0.99))}
				if len(r.samples) > 0 && r.cpu > 0 {
					x.CPUPerCallMS = ms(r.cpu) / float64(len(r.samples))
				}
				rows[name] = x
			}
			direct, floor := rows["direct"], rows["floor"]
			for _, name := range opt.targetNames() {
				x := rows[name]
				if x == nil {
					continue
				}
				if direct != nil && name != "direct" {
					x.AddedP50MS = x.LatencyP50MS - direct.LatencyP50MS
					x.AddedTTFTMS = x.TTFTP50MS - direct.TTFTP50MS
				}
				if floor != nil && name != "direct" {
					x.AddedVsFloor = ratio(x.AddedP50MS, floor.AddedP50MS)
					x.AddedMinusF = x.AddedP50MS - floor.AddedP50MS
					x.ThroughputVsF = ratio(x.Throughput, floor.Throughput)
					x.CPUVsFloor = ratio(x.CPUPerCallMS, floor.CPUPerCallMS)
					x.TTFTVsFloorMS = x.AddedTTFTMS - floor.AddedTTFTMS
				}
				rep.Rows = append(rep.Rows, *x)
			}
		}
	}
	return rep
}

// ratio is a/b, or 0 when b is not above zero: a floor that added no
// measurable latency (its p50 at or under direct's, within the noise) gives
// no ratio, not a negative or endless one. The table prints 0 as n/a.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// orNA prints a ratio, or n/a for none.
func orNA(v float64) string {
	if v == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tconc\ttarget\tcalls/s\tp50 ms\tp99 ms\tTTFT p50\tTTFT p99\tadded p50\tCPU/call ms\tadded÷floor\tadded−floor ms\tthroughput÷floor\tCPU÷floor\tTTFT−floor ms\t")
	for _, x := range r.Rows {
		mode := "json"
		if x.Stream {
			mode = "stream"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%s\t%.2f\t%s\t%s\t%.3f\t\n", mode, x.Concurrency, x.Target,
			x.Throughput, x.LatencyP50MS, x.LatencyP99MS, x.TTFTP50MS, x.TTFTP99MS, x.AddedP50MS, x.CPUPerCallMS,
			orNA(x.AddedVsFloor), x.AddedMinusF, orNA(x.ThroughputVsF), orNA(x.CPUVsFloor), x.TTFTVsFloorMS)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmemory per open stream: ")
	for name, b := range r.BytesPerStream {
		fmt.Fprintf(w, "%s %d KiB  ", name, b>>10)
	}
	fmt.Fprintf(w, "\npeak RSS: ")
	for name, b := range r.PeakRSS {
		fmt.Fprintf(w, "%s %d MiB  ", name, b>>20)
	}
	fmt.Fprintln(w)
	for _, c := range r.Recorded {
		fmt.Fprintf(w, "recorded: %s %d of %d calls\n", c.Target, c.Recorded, c.Calls)
	}
}

func (r *report) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
