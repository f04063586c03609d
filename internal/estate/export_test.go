package estate

// SetSortRun makes the first load sort runs of n rows, so a test of a few
// hundred rows spills and merges several runs; the returned function puts
// the size back.
func SetSortRun(n int) (restore func()) {
	old := sortRun
	sortRun = n
	return func() { sortRun = old }
}
