package report

import (
	"bytes"
	"html/template"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/uk"
)

// The HTML format is one self-contained page (its style inline, no scripts,
// no outside resources) that prints on A4 with the classification at the top
// and a footer on every printed page.
var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":   thousands,
	"lower": strings.ToLower,
	"when":  func(t time.Time) string { return uk.DateTime(t) },
	"svg":   func(c *Chart) template.HTML { return template.HTML(SVG(c)) },
	"cell": func(cols []Column, i int, v string) string {
		if i < len(cols) && cols[i].Num {
			return thousands(v)
		}
		return v
	},
	"isNum": func(cols []Column, i int) bool { return i < len(cols) && cols[i].Num },
}).Parse(`<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.TLP}} {{.Title}}, {{.Month.Label}}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; color: #000; background: #fff; margin: 0; font-size: 11pt; line-height: 1.4; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
.banner { padding: .5rem 1.5rem; border-bottom: 3px solid #000; }
.banner strong { display: inline-block; padding: .1rem .5rem; color: #fff; margin-right: .6rem; letter-spacing: .04em; }
.tlp-red strong { background: #b3261e; } .tlp-amber strong { background: #8a4b00; } .tlp-green strong { background: #1e7a34; } .tlp-clear strong { background: #444; }
footer.banner { border-top: 1px solid #000; border-bottom: 0; font-size: 9pt; }
h1 { font-size: 1.6rem; margin: 1rem 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .4rem; page-break-after: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0 1rem; }
dt { font-weight: bold; } dd { margin: 0; }
.note { border-left: 4px solid #000; padding: .3rem .8rem; background: #f2f2f2; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: 10pt; }
caption { text-align: left; font-style: italic; padding: .2rem 0; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #999; vertical-align: top; }
th { background: #e6e6e6; } thead { display: table-header-group; } tr { page-break-inside: avoid; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: bold; border-top: 2px solid #000; }
svg { max-width: 100%; height: auto; }
@page { size: A4; margin: 16mm 14mm 20mm; }
@media print {
  main { padding: 0; max-width: none; }
  footer.banner { position: fixed; bottom: 0; left: 0; right: 0; background: #fff; padding: .2rem 0; }
  .banner { padding-left: 0; }
}
</style>
</head>
<body>
<header class="banner tlp-{{lower .Classification.TLP}}"><strong>{{.TLP}}</strong>{{.Handling}}</header>
<main>
<h1>{{.Title}}</h1>
<dl>
<dt>Month</dt><dd>{{.Month.Label}} ({{.Month}})</dd>
{{with .Recipient}}<dt>For</dt><dd>{{.Name}} ({{.Code}})</dd>{{end}}
<dt>Reference</dt><dd>{{.Reference}}</dd>
<dt>Figures as at</dt><dd>{{when .AsAt}}</dd>
<dt>Generated</dt><dd>{{when .GeneratedAt}}</dd>
<dt>Classification</dt><dd>{{.Classification}} ({{.TLP}})</dd>
</dl>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}
{{range .Sections}}{{$s := .}}<section id="{{.ID}}">
<h2>{{.Heading}}</h2>
{{with .Intro}}<p>{{.}}</p>{{end}}
{{with .Chart}}{{svg .}}{{end}}
{{with .Table}}{{$cols := .Columns}}<table>
<caption>{{$s.Heading}}</caption>
<thead><tr>{{range $i, $c := .Columns}}<th scope="col"{{if .Num}} class="num"{{end}}>{{.Name}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $v := .}}<td{{if isNum $cols $i}} class="num"{{end}}>{{cell $cols $i $v}}</td>{{end}}</tr>
{{else}}<tr><td colspan="{{len .Columns}}">{{.Empty}}</td></tr>
{{end}}</tbody>
{{with .Foot}}<tfoot><tr>{{range $i, $v := .}}<td{{if isNum $cols $i}} class="num"{{end}}>{{cell $cols $i $v}}</td>{{end}}</tr></tfoot>{{end}}
</table>{{end}}
</section>
{{end}}
</main>
<footer class="banner tlp-{{lower .Classification.TLP}}">{{.Footer}}</footer>
</body>
</html>
`))

func renderHTML(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	err := htmlReport.Execute(&buf, d)
	return buf.Bytes(), err
}
