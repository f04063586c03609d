// Package arch holds the architecture tests: rules about how the other
// packages are put together that the compiler and the import graph cannot
// see. Each table has one owning package (ownership_test.go). The package
// has no code of its own; it may import nothing from the product.
package arch
