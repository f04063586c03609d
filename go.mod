module github.com/metersec/metersec

go 1.26.8
