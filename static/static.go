// Package static holds Haven's stylesheet, scripts and images, embedded in the binary.
package static

import "embed"

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS
