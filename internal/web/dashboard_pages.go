package web

import (
	"github.com/metersec/metersec/internal/uk"
	"net/http"
	"time"
)

// dashboardArea is one area's counts on the home page.
type dashboardArea struct {
	Name  string
	Items []DashboardItem
}

type homeData struct {
	Areas []dashboardArea
	Day   string
}

// homePage is the start page: for a signed-in user, the dashboard of what
// its organisation must act on; for anyone else, what metersec is.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	if !c.SignedIn() {
		return s.render(w, r, http.StatusOK, "home", s.newPage(r, "Home", nil))
	}
	d, err := s.dashboard(r.Context(), c, time.Now())
	if err != nil {
		return err
	}
	data := homeData{Day: uk.Day(d.Day.Time())}
	for _, it := range d.Items {
		if n := len(data.Areas); n == 0 || data.Areas[n-1].Name != it.Area {
			data.Areas = append(data.Areas, dashboardArea{Name: it.Area})
		}
		a := &data.Areas[len(data.Areas)-1]
		a.Items = append(a.Items, it)
	}
	return s.render(w, r, http.StatusOK, "home", s.newPage(r, "Home", data))
}
