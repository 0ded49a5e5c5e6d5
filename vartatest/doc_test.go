package vartatest

import (
	"bytes"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocListsTaggedAPI checks that the package doc shows, with its
// signature, every exported identifier of a file behind a build tag: go doc
// shows only the default build, so the package doc is where users find them.
func TestPackageDocListsTaggedAPI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var doc string
	var tagged []string // the signatures the package doc must show
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			doc += f.Doc.Text()
		}
		if !hasBuildTag(f, "udp") && !hasBuildTag(f, "secureudp") {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				var b bytes.Buffer
				sig := *d
				sig.Doc, sig.Body = nil, nil
				if err := printer.Fprint(&b, fset, &sig); err != nil {
					t.Fatal(err)
				}
				tagged = append(tagged, b.String())
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
						tagged = append(tagged, "type "+ts.Name.Name+" struct{ ... }")
					}
				}
			}
		}
	}
	if len(tagged) == 0 {
		t.Fatal("found no exported identifier behind a build tag")
	}
	for _, sig := range tagged {
		if !strings.Contains(doc, sig) {
			t.Errorf("package doc does not show %q", sig)
		}
	}
}

// hasBuildTag reports whether f's //go:build line names tag.
func hasBuildTag(f *ast.File, tag string) bool {
	for _, g := range f.Comments {
		for _, c := range g.List {
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				continue
			}
			found := false
			expr.Eval(func(t string) bool {
				found = found || t == tag
				return true
			})
			if found {
				return true
			}
		}
	}
	return false
}

// TestExamplesReadAsTestBodies checks that every Example reads as the body
// of the test a user would write: it begins by defining t, on a line whose
// comment says what t stands for, rather than wrapping its body in a
// helper that pkg.go.dev does not show; and the package doc says what
// stands in for the test's *testing.T.
func TestExamplesReadAsTestBodies(t *testing.T) {
	files, err := filepath.Glob("example*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	examples := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		comments := map[int]string{} // line -> its comments
		for _, g := range f.Comments {
			for _, c := range g.List {
				comments[fset.Position(c.Pos()).Line] += c.Text
			}
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			examples++
			first, ok := fn.Body.List[0].(*ast.AssignStmt)
			if !ok || len(first.Lhs) != 1 || first.Lhs[0].(*ast.Ident).Name != "t" {
				t.Errorf("%s: %s does not begin by defining t, as the body of a test has it", name, fn.Name.Name)
				continue
			}
			if line := fset.Position(first.Pos()).Line; !strings.Contains(comments[line], "*testing.T") {
				t.Errorf("%s: %s defines t without a comment that says it stands for the test's *testing.T", name, fn.Name.Name)
			}
		}
	}
	if examples == 0 {
		t.Fatal("found no example")
	}
	f, err := parser.ParseFile(fset, "observer.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	const says = "In the Examples, t stands in for the test's *testing.T"
	if doc := strings.Join(strings.Fields(f.Doc.Text()), " "); !strings.Contains(doc, says) {
		t.Errorf("the package doc does not say %q", says)
	}
}
