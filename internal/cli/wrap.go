package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// HelpWidth is the column --help text wraps at.
const HelpWidth = 100

// wrapped buffers --help text and wraps each line longer than HelpWidth at
// spaces, continuing under the line's own indentation. Tables are laid out
// by writeTable, which already keeps within the width.
type wrapped struct {
	w   io.Writer
	buf bytes.Buffer
}

func wrapWriter(w io.Writer) *wrapped { return &wrapped{w: w} }

func (x *wrapped) Write(p []byte) (int, error) {
	x.buf.Write(p)
	for {
		line, err := x.buf.ReadString('\n')
		if err != nil {
			x.buf.WriteString(line) // keep the unfinished line
			return len(p), nil
		}
		if _, err := io.WriteString(x.w, wrapLine(strings.TrimSuffix(line, "\n"), HelpWidth)); err != nil {
			return 0, err
		}
	}
}

// wrapLine wraps one line at width, returning the lines each ending in "\n".
func wrapLine(line string, width int) string {
	if utf8.RuneCountInString(line) <= width {
		return line + "\n"
	}
	indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
	return wrapHanging(strings.TrimLeft(line, " "), indent, indent, width)
}

// wrapHanging fills text into lines of at most width columns, the first
// starting with first and the rest with rest. A word longer than a line
// is broken after a comma, or else stands alone on its line.
func wrapHanging(text, first, rest string, width int) string {
	var b strings.Builder
	prefix := first
	line := ""
	flush := func() {
		b.WriteString(strings.TrimRight(prefix+line, " "))
		b.WriteByte('\n')
		prefix, line = rest, ""
	}
	for _, word := range splitLong(strings.Fields(text), width-utf8.RuneCountInString(rest)) {
		if line != "" && utf8.RuneCountInString(prefix+line+" "+word) > width {
			flush()
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	flush()
	return b.String()
}

// splitLong breaks words longer than width after their commas (a CSV
// header in a summary), so that they wrap like the rest.
func splitLong(words []string, width int) []string {
	var out []string
	for _, w := range words {
		for utf8.RuneCountInString(w) > width {
			i := strings.LastIndex(w[:min(len(w), width)], ",")
			if i < 0 {
				break
			}
			out, w = append(out, w[:i+1]), w[i+1:]
		}
		out = append(out, w)
	}
	return out
}

// writeTable writes two columns, "  name  description", the descriptions
// aligned and wrapped at HelpWidth under their column. A name too long for
// the column has its description start on the next line.
func writeTable(w io.Writer, rows [][2]string) {
	const maxName = 28
	col := 0
	for _, r := range rows {
		if n := utf8.RuneCountInString(r[0]); n <= maxName {
			col = max(col, n)
		}
	}
	pad := strings.Repeat(" ", 2+col+2)
	for _, r := range rows {
		name := "  " + r[0]
		if utf8.RuneCountInString(r[0]) > maxName {
			fmt.Fprintln(w, name)
			io.WriteString(w, wrapHanging(r[1], pad, pad, HelpWidth))
			continue
		}
		first := name + strings.Repeat(" ", len(pad)-utf8.RuneCountInString(name))
		io.WriteString(w, wrapHanging(r[1], first, pad, HelpWidth))
	}
}
