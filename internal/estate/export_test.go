package estate

// SetSortRun makes the first load sort runs of n rows, so a test of a few
// hundred rows spills and merges several runs; the returned function puts
// the size back.
func SetSortRun(n int) (restore func()) {
	old := sortRun
	sortRun = n
	return func() { sortRun = old }
}

// SetCountRun makes the first load count SMETS1 enrolment groups in runs of
// n, so a small test spills and merges several; the returned function puts
// the size back.
func SetCountRun(n int) (restore func()) {
	old := countRun
	countRun = n
	return func() { countRun = old }
}
