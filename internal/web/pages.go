package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/coverage"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/impracticable"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/triage"
	"github.com/metersec/metersec/internal/uk"
	"github.com/metersec/metersec/internal/usersystem"
	"github.com/metersec/metersec/internal/vuln"
)

// pages are the HTML templates: each page file is parsed together with the
// layout, so every page defines "title" and "content" without clashing.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	// date and datetime are the UI's one date format (uk.Date, uk.DateTime):
	// "5 Dec 2026", "5 Dec 2026 14:03 GMT", on the UK clock.
	"date": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			if t.IsZero() {
				return ""
			}
			return uk.Date(t)
		case *time.Time:
			if t == nil || t.IsZero() {
				return ""
			}
			return uk.Date(*t)
		case sec.Date:
			if t.IsZero() {
				return "" // not a day: "30 Nov -0001" was shown for none
			}
			return uk.Day(t.Time())
		case *sec.Date:
			if t == nil || t.IsZero() {
				return ""
			}
			return uk.Day(t.Time())
		}
		return fmt.Sprint(v)
	},
	"datetime": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return uk.DateTime(t)
		case *time.Time:
			if t == nil {
				return ""
			}
			return uk.DateTime(*t)
		}
		return fmt.Sprint(v)
	},
	// plural writes a count with its noun: plural 1 "Device" is "1 Device",
	// plural 1234 "Device" "1,234 Devices" (uk.Plural).
	"plural": func(n any, noun string) string {
		v, err := strconv.ParseInt(fmt.Sprint(n), 10, 64)
		if err != nil {
			return fmt.Sprint(n) + " " + noun + "s"
		}
		return uk.Plural(v, noun)
	},
	"orgRole": func(r sec.OrgRole) string { return r.Label() },
	"role":    func(r sec.Role) string { return r.Label() },
	"lower":   strings.ToLower,
	"join": func(sep string, v any) string {
		switch x := v.(type) {
		case []string:
			return strings.Join(x, sep)
		case []sec.OrgRole:
			parts := make([]string, len(x))
			for i, r := range x {
				parts[i] = r.Label()
			}
			return strings.Join(parts, sep)
		case []sec.Role:
			parts := make([]string, len(x))
			for i, r := range x {
				parts[i] = r.Label()
			}
			return strings.Join(parts, sep)
		}
		return fmt.Sprint(v)
	},
	"contains": func(list any, v string) bool {
		switch x := list.(type) {
		case []string:
			return slices.Contains(x, v)
		case []sec.OrgRole:
			return slices.Contains(x, sec.OrgRole(v))
		case []sec.Role:
			return slices.Contains(x, sec.Role(v))
		}
		return false
	},
	"num": func(v any) string { return thousands(fmt.Sprint(v)) },
	"query": func(kv ...string) template.URL {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				q.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(q.Encode())
	},
	"safeHTML": func(s string) template.HTML { return template.HTML(s) },
	// dict passes several values to a partial: dict "Key" value ….
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// thousands puts commas in a run of digits: 35000000 → 35,000,000.
func thousands(s string) string { return uk.ThousandsText(s) }

func loadPages() (*pages, error) {
	layout, err := fs.ReadFile(assets, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files named *.partial.html hold partials shared by several pages.
	var partials []string
	for _, f := range files {
		if strings.HasSuffix(f, ".partial.html") {
			b, err := fs.ReadFile(assets, f)
			if err != nil {
				return nil, err
			}
			partials = append(partials, string(b))
		}
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasSuffix(name, ".partial") {
			continue
		}
		body, err := fs.ReadFile(assets, f)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
		for _, part := range partials {
			if _, err := t.Parse(part); err != nil {
				return nil, fmt.Errorf("partial: %w", err)
			}
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// navItem is a page in the navigation, shown to callers its area's May
// function lets in (or to every signed-in user when it has none): the area
// decides, not the menu. Items of one Group share one entry in the top
// bar; inside the group its items show as a second row.
type navItem struct {
	Label, Href string
	May         func(access.Caller) bool
	Group       string
}

// navGroup is an entry of the top bar: its first visible page, and the rest.
type navGroup struct {
	Label, Href string
	Current     bool
	Items       []navItem
}

// navigation is the menu, in order. Areas add their pages here.
var navigation = []navItem{
	{Label: "Home", Href: "/", Group: "Home"},
	{Label: "Inbox", Href: "/inbox", Group: "Inbox"},
	{Label: "Directory", Href: "/parties", Group: "Directory"},
	{Label: "Catalogue", Href: "/catalogue", Group: "Catalogue"},
	{Label: "Certificate report", Href: "/catalogue/cert-report", May: catalogue.MayReport, Group: "Catalogue"},
	{Label: "Estate", Href: "/estate", May: estate.MayBrowse, Group: "Estate"},
	{Label: "Portfolio", Href: "/portfolio", May: estate.MayBrowse, Group: "Estate"},
	{Label: "Import", Href: "/estate/import", May: estate.MayImport, Group: "Estate"},
	{Label: "Vulnerabilities", Href: "/vulnerabilities", Group: "Vulnerabilities"},
	{Label: "Oversight", Href: "/vulnerabilities/overview", May: vuln.MayOversee, Group: "Vulnerabilities"},
	{Label: "Coverage", Href: "/coverage", May: coverage.MayBrowse, Group: "G3.20"},
	{Label: "Arrangements", Href: "/arrangements", Group: "G3.20"},
	{Label: "Obligations", Href: "/obligations", Group: "G3.20"},
	{Label: "Alerts", Href: "/arrangement-alerts", Group: "G3.20"},
	{Label: "Not practicable", Href: "/impracticabilities", May: impracticable.MayBrowse, Group: "G3.20"},
	{Label: "User Systems", Href: "/user-systems", May: usersystem.MayBrowse, Group: "G3.20"},
	{Label: "Assessments", Href: "/assessments", May: assurance.MayBrowse, Group: "Assurance"},
	{Label: "Forward plan", Href: "/assessments/plan", May: assurance.MayBrowse, Group: "Assurance"},
	{Label: "Remediation plans", Href: "/remediation-plans", May: assurance.MayBrowse, Group: "Assurance"},
	{Label: "Risk register", Href: "/risks", May: risk.MayBrowse, Group: "Assurance"},
	{Label: "Triage", Href: "/triage", May: triage.MayBrowse, Group: "Triage"},
	{Label: "Reports", Href: "/reports", Group: "Reports"},
	{Label: "Standing reports", Href: "/reports/standing", May: report.MayBrowseStanding, Group: "Reports"},
	{Label: "Meetings", Href: "/meetings", Group: "Meetings"},
	{Label: "Actions", Href: "/meeting-actions", Group: "Meetings"},
	{Label: "Public headlines", Href: "/public/meetings", Group: "Meetings"},
	{Label: "Webhooks", Href: "/webhooks", May: delivery.MayManageWebhooks, Group: "Operations"},
	{Label: "Deliveries", Href: "/deliveries", May: delivery.MayOperate, Group: "Operations"},
	{Label: "Audit trail", Href: "/audit", May: audit.MayRead, Group: "Operations"},
	{Label: "Users", Href: "/users", May: account.MayManageUsers, Group: "Operations"},
}

// navFor builds the caller's menu and the current section's pages.
func navFor(c access.Caller, path string) (groups []navGroup, sub []navItem) {
	current, best := "", -1
	for _, n := range navigation {
		if n.May != nil && !n.May(c) {
			continue
		}
		if len(groups) == 0 || groups[len(groups)-1].Label != n.Group {
			groups = append(groups, navGroup{Label: n.Group, Href: n.Href})
		}
		groups[len(groups)-1].Items = append(groups[len(groups)-1].Items, n)
		match := path == n.Href || (n.Href != "/" && strings.HasPrefix(path, n.Href+"/"))
		if match && len(n.Href) > best {
			current, best = n.Group, len(n.Href)
		}
	}
	for i := range groups {
		if groups[i].Label == current {
			groups[i].Current = true
			if len(groups[i].Items) > 1 {
				sub = groups[i].Items
			}
		}
	}
	return groups, sub
}

// page is what every template receives.
type page struct {
	Title   string
	Caller  access.Caller
	Signed  bool
	CSRF    string
	Nav     []navGroup
	SubNav  []navItem
	Path    string
	Flash   string
	Version string
	Errors  map[string]string // field → message, for forms
	Error   string            // a message for the whole form
	Form    any               // what the user typed, to fill a form again
	Data    any
}

func (s *Server) newPage(r *http.Request, title string, data any) *page {
	c := callerOf(r)
	p := &page{Title: title, Caller: c, Signed: c.SignedIn(), Path: r.URL.Path, Version: s.Version, Data: data}
	if sess := sessionOf(r); sess != nil {
		p.CSRF = sess.CSRF
	}
	if c.SignedIn() {
		p.Nav, p.SubNav = navFor(c, r.URL.Path)
	}
	if ck, err := r.Cookie("metersec_flash"); err == nil {
		if v, err := url.QueryUnescape(ck.Value); err == nil {
			p.Flash = v
		}
	}
	return p
}

// formErrors fills a page's field errors from a service error.
func (p *page) formErrors(err error) {
	e := errs.As(err)
	if e.Code == errs.Internal {
		p.Error = "Something went wrong on our side; it has been logged."
		return
	}
	p.Error = e.Message
	p.Errors = map[string]string{}
	for _, f := range e.Fields {
		p.Errors[f.Field] = f.Message
	}
}

// render writes a page. Templates render into a buffer first so that a
// failing template yields a clean error page, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	if p.Flash != "" {
		http.SetCookie(w, &http.Cookie{Name: "metersec_flash", Path: "/", MaxAge: -1, HttpOnly: true})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.newPage(r, http.StatusText(status), map[string]any{"Status": status, "Message": msg, "RequestID": requestID(r)})
	if err := s.render(w, r, status, "error", p); err != nil {
		s.Log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

// redirect sends the browser on after a form, with a message for the next
// page.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: "metersec_flash", Value: url.QueryEscape(flash), Path: "/", MaxAge: 60,
			HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
