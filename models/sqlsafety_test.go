package models

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sqlMethods are GORM's methods whose first argument is SQL text.
var sqlMethods = map[string]bool{
	"Raw": true, "Exec": true, "Where": true, "Or": true, "Not": true, "Order": true, "Joins": true,
	"Having": true, "Group": true, "Select": true, "Distinct": true, "Pluck": false,
}

// sqlBuiltOnPurpose lists SQL text built at run time from values the code itself
// chooses (never user input), by file:function, with why it is safe.
var sqlBuiltOnPurpose = map[string]string{
	"announcement.go:whereReadable": "column is a literal column name from each caller; the ids are a parameter",
	"badges.go:HeaderCounts":        "literal column aliases; the counts are subqueries with parameters",
	"cursor.go:afterTimeID":         "literal column names from each caller; the key is a parameter",
	"cursor.go:idSeek":              "a literal column name from each caller; the key is a parameter",
	"clinician.go:ClinicianList":    "formats the constant ClinicianPending",
	"dashboard.go:Dashboard":        "col is a literal column name chosen in the function; the id is a parameter",
	"notify.go:migrateNotify":       "the constant liveEventSequence",
	"notify.go:NotifyEvent":         "the constant liveEventSequence; channel and payload are parameters",
	"post.go:postPage":              `cmp is the literal "<=" or ">="`,
	"search.go:indexMissing":        "key is one of two literal expressions, by dialect",
	"search.go:pgCandidatesWithin":  "query is one of two literal tsquery expressions; the words and groups are parameters",
	"seed_scale.go:maxID":           "table names from the seeder's own list",
	"stats.go:foldThreads":          "s.hourExpr: the dialect's SQL around a literal column",
	"stats.go:foldPosts":            "s.hourExpr: the dialect's SQL around a literal column",
	"stats.go:foldMemberships":      "s.hourExpr: the dialect's SQL around a literal column",
	"stats.go:foldReports":          "s.hourExpr: the dialect's SQL around a literal column",
	"testing.go:TestDSN":            "a random hex schema name made in the function",
	"writebatch.go:run":             "savepoint names haven_wN from a loop index",
}

// TestSQLIsOnlyBuiltWithParameters reads the source of models and app: SQL text
// handed to GORM is a literal or a constant, and values travel as parameters (?).
// Text built with fmt.Sprintf or by concatenating variables is reported unless it is
// listed in sqlBuiltOnPurpose.
func TestSQLIsOnlyBuiltWithParameters(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "../app"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, m...)
	}
	fset := token.NewFileSet()
	var found []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || !sqlMethods[sel.Sel.Name] {
					return true
				}
				if why := dynamicSQL(call.Args[0]); why != "" {
					key := filepath.Base(path) + ":" + fn.Name.Name
					if _, ok := sqlBuiltOnPurpose[key]; !ok {
						found = append(found, fset.Position(call.Pos()).String()+" ("+key+"): "+sel.Sel.Name+" with "+why)
					}
				}
				return true
			})
		}
	}
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("SQL built at run time: %s: pass values as ? parameters; if every piece is chosen by the code, never by a request, list the function in sqlBuiltOnPurpose with why", f)
	}
}

// dynamicSQL says how e builds SQL at run time, or "" for a literal, a constant or
// anything that is not text.
func dynamicSQL(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Sprint") {
				return "fmt." + sel.Sel.Name
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "strings" && (sel.Sel.Name == "Join" || sel.Sel.Name == "ReplaceAll" || sel.Sel.Name == "Replace") {
				return "strings." + sel.Sel.Name
			}
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			if onlyLiterals(e) {
				return ""
			}
			return "string concatenation"
		}
	}
	return ""
}

// onlyLiterals reports whether a + chain joins string literals and upper-case or
// package-level constant names only.
func onlyLiterals(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.BinaryExpr:
		return onlyLiterals(e.X) && onlyLiterals(e.Y)
	case *ast.ParenExpr:
		return onlyLiterals(e.X)
	}
	return false
}
