package varta

// Proves that doc.go lists every exported identifier that a build tag
// adds, since go doc and pkg.go.dev show none of them.

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocListsTheTaggedAPI checks that doc.go lists every exported
// function, type, constant and variable of the files behind a build tag,
// functions with their signature: go doc and pkg.go.dev show no tagged
// identifier, so the package documentation is where users learn what a tag
// gives them.
func TestDocListsTheTaggedAPI(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if !taggedFor(f, "udp", "secureudp") {
			continue
		}
		for _, want := range exportedDecls(t, fset, f) {
			checked++
			if !strings.Contains(string(doc), "//\t"+want) {
				t.Errorf("doc.go does not list %q (from %s)", want, name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no tagged identifier to check")
	}
}

// taggedFor reports whether f has a build constraint that names one of
// tags.
func taggedFor(f *ast.File, tags ...string) bool {
	for _, g := range f.Comments {
		for _, c := range g.List {
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				continue
			}
			named := false
			expr.Eval(func(tag string) bool {
				for _, want := range tags {
					named = named || tag == want
				}
				return false
			})
			if named {
				return true
			}
		}
	}
	return false
}

// exportedDecls returns how doc.go must start the line of each exported
// top-level identifier of f: a function's whole signature, "type Name ",
// "const Name " or "var Name ".
func exportedDecls(t *testing.T, fset *token.FileSet, f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil || !d.Name.IsExported() {
				continue
			}
			var b strings.Builder
			if err := printer.Fprint(&b, fset, &ast.FuncDecl{Name: d.Name, Type: d.Type}); err != nil {
				t.Fatal(err)
			}
			out = append(out, b.String())
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if spec.Name.IsExported() {
						out = append(out, "type "+spec.Name.Name+" ")
					}
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						if n.IsExported() {
							out = append(out, d.Tok.String()+" "+n.Name+" ")
						}
					}
				}
			}
		}
	}
	return out
}
