// Package catalogue is the Device catalogue, a Central Products List: Device
// Models, their firmware versions and the CPA certificate of each.
//
// The files here so far are pure building blocks with no SQL and no HTTP: the
// firmware version order and affected-version ranges that vulnerabilities use,
// and the catalogue CSV row format.
package catalogue
