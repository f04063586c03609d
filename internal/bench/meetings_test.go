package bench

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
	"github.com/metersec/metersec/internal/web"
)

func meetingWorld(b *testing.B, engine store.Dialect) *meeting.Service {
	db := storetest.Open(b, engine)
	if err := Meeting(context.Background(), db, 1, MeetingItems); err != nil {
		b.Fatal(err)
	}
	return meeting.NewService(db)
}

// BenchmarkMeetingHeadlines60 times the public headlines of a 60-item
// meeting, read from the database (issue 12: under 100 ms), and as PDF.
func BenchmarkMeetingHeadlines60(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			svc := meetingWorld(b, engine)
			ctx := context.Background()
			b.Run("json", func(b *testing.B) {
				for b.Loop() {
					if _, err := svc.PublicHeadlines(ctx, 1); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("pdf", func(b *testing.B) {
				for b.Loop() {
					h, err := svc.PublicHeadlines(ctx, 1)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := report.HeadlinesPDF(h, h.HeldOn.Time()); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkMeetingMinutes60 times drafting both sets of minutes of a
// 60-item meeting from the database (the meeting read in full, then the
// text), as GenerateMinutes does.
func BenchmarkMeetingMinutes60(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			svc := meetingWorld(b, engine)
			ctx := context.Background()
			sys := access.SystemCaller("bench")
			for b.Loop() {
				m, err := svc.Get(ctx, sys, 1)
				if err != nil {
					b.Fatal(err)
				}
				if len(m.Items) != MeetingItems {
					b.Fatalf("%d items", len(m.Items))
				}
				_ = meeting.MinutesText(m, meeting.DraftMinutes)
				_ = meeting.MinutesText(m, meeting.ConfidentialMinutes)
			}
		})
	}
}

// BenchmarkPublicMeetingPages times the server's work for each public page
// of a 60-item meeting, handler only (no network): the cost that decides
// how many requests a core serves.
func BenchmarkPublicMeetingPages(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	if err := Meeting(context.Background(), db, 1, MeetingItems); err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Config{DB: db, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/public/meetings", "/public/meetings/1", "/api/v1/public/meetings/1/headlines", "/public/meetings/1/headlines.pdf"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}
