package varta

// Proves that doc.go lists exactly the exported API that each build tag
// adds, since go doc and pkg.go.dev show none of it, and that every
// library file says //go:build unix, as doc.go promises.

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildTags are the tags that add API, in the order doc.go lists them: a
// file that a tag set with several of them enables is listed under the
// first one that enables it alone (secureudp includes udp).
var buildTags = []string{"udp", "secureudp"}

// TestDocListsTheTaggedAPI checks that doc.go's "Build tags" section lists
// every exported function, method, type, constant and variable of the files
// a build tag adds, under that tag, with its exact signature, and nothing
// else: go doc and pkg.go.dev show no tagged identifier, so the package
// documentation is where users learn what a tag gives them. It also checks
// that each of them says in its doc comment which tag it needs.
func TestDocListsTheTaggedAPI(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	api := taggedAPI(t)
	if len(api) == 0 {
		t.Fatal("found no tagged identifier to check")
	}
	for _, problem := range docListMismatches(string(doc), api) {
		t.Error(problem)
	}
}

// TestDocListCheckCatchesAWrongSignature feeds the check a list that gives
// a method without its result, as doc.go once listed MasterOpener.Close,
// and one that lacks a method and lists a function that does not exist:
// each must be reported.
func TestDocListCheckCatchesAWrongSignature(t *testing.T) {
	api := []taggedDecl{
		{tag: "secureudp", line: "func (o *MasterOpener) Close() error", file: "secureudp_open.go"},
		{tag: "secureudp", line: "func (o *MasterOpener) String() string", file: "secureudp_open.go"},
	}
	doc := "// # Build tags\n//\n// -tags secureudp adds\n//\n" +
		"//\tfunc (o *MasterOpener) Close()\n" +
		"//\tfunc Gone() // not in the code\n" +
		"//\n// # Unix only\n"
	got := docListMismatches(doc, api)
	for _, want := range []string{
		`"func (o *MasterOpener) Close() error"`,
		`"func (o *MasterOpener) String() string"`,
		`"func (o *MasterOpener) Close()"`,
		`"func Gone()"`,
	} {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("no problem reported for %s; got %q", want, got)
		}
	}
}

// taggedDecl is one exported declaration a build tag adds: the line that
// doc.go must list for it, the tag it is listed under, and where it is.
type taggedDecl struct {
	tag, line, file string
	documented      bool // its doc comment says "Only built with -tags"
}

// docListMismatches compares the declarations listed in the "Build tags"
// section of doc (the text of doc.go) with api, and describes each that is
// missing, listed under the wrong tag, or listed but not in api.
func docListMismatches(doc string, api []taggedDecl) []string {
	listed := map[string]string{} // line -> tag it is listed under
	var problems []string
	tag, inSection := "", false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(l, "// # "):
			inSection = l == "// # Build tags"
			continue
		case !inSection:
			continue
		case strings.HasPrefix(l, "// -tags "):
			tag = strings.Fields(l)[2]
			continue
		case !strings.HasPrefix(l, "//\t"):
			continue
		}
		line := strings.TrimPrefix(l, "//\t")
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if _, dup := listed[line]; dup {
			problems = append(problems, "doc.go lists "+quote(line)+" twice")
		}
		listed[line] = tag
	}
	known := map[string]bool{}
	for _, d := range api {
		known[d.line] = true
		switch got, ok := listed[d.line]; {
		case !ok:
			problems = append(problems, "doc.go does not list "+quote(d.line)+" (from "+d.file+") under -tags "+d.tag)
		case got != d.tag:
			problems = append(problems, "doc.go lists "+quote(d.line)+" under -tags "+got+", but -tags "+d.tag+" adds it")
		}
	}
	for line := range listed {
		if !known[line] {
			problems = append(problems, "doc.go lists "+quote(line)+", which no tagged file declares")
		}
	}
	slices.Sort(problems)
	return problems
}

func quote(s string) string { return `"` + s + `"` }

// taggedAPI returns the exported declarations of the files that a build
// tag adds, and checks that each says so in its doc comment.
func taggedAPI(t *testing.T) []taggedDecl {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var api []taggedDecl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		tag := addedBy(t, f)
		if tag == "" {
			continue
		}
		for _, d := range exportedDecls(t, fset, f) {
			d.tag, d.file = tag, name
			if !d.documented {
				t.Errorf("%s: the doc comment of %q does not say \"Only built with -tags %s\"", name, d.line, tag)
			}
			api = append(api, d)
		}
	}
	return api
}

// addedBy returns the first of buildTags whose build, alone, includes f
// while a build with none of them excludes it, or "" if there is none.
func addedBy(t *testing.T, f *ast.File) string {
	var expr constraint.Expr
	for _, g := range f.Comments {
		for _, c := range g.List {
			if constraint.IsGoBuild(c.Text) {
				e, err := constraint.Parse(c.Text)
				if err != nil {
					t.Fatal(err)
				}
				expr = e
			}
		}
	}
	if expr == nil {
		return ""
	}
	with := func(on string) bool {
		return expr.Eval(func(tag string) bool { return tag == on || tag == "unix" })
	}
	if with("") {
		return ""
	}
	for _, tag := range buildTags {
		if with(tag) {
			return tag
		}
	}
	return ""
}

// exportedDecls returns how doc.go must list each exported identifier of f:
// a function or a method of an exported type with its whole signature, as
// gofmt prints it; "type Name struct{ ... }" for a struct type, else the
// type it is defined as; "const Name = value" as written; and "var Name T",
// where T is the declared type or, for errors.New, error. It reports
// whether each doc comment (a group's, for a grouped constant or
// variable; the type's, for a method) says "Only built with -tags".
func exportedDecls(t *testing.T, fset *token.FileSet, f *ast.File) []taggedDecl {
	says := func(docs ...*ast.CommentGroup) bool {
		for _, d := range docs {
			if d != nil && strings.Contains(strings.Join(strings.Fields(d.Text()), " "), "Only built with -tags") {
				return true
			}
		}
		return false
	}
	typeDocs := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
			for _, s := range g.Specs {
				s := s.(*ast.TypeSpec)
				typeDocs[s.Name.Name] = says(g.Doc, s.Doc)
			}
		}
	}
	src := func(node any) string {
		var b strings.Builder
		if err := printer.Fprint(&b, fset, node); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var out []taggedDecl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			documented := says(d.Doc)
			if d.Recv != nil {
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				id, ok := recv.(*ast.Ident)
				if !ok || !id.IsExported() {
					continue
				}
				documented = documented || typeDocs[id.Name]
			}
			line := src(&ast.FuncDecl{Recv: d.Recv, Name: d.Name, Type: d.Type})
			out = append(out, taggedDecl{line: line, documented: documented})
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if !spec.Name.IsExported() {
						continue
					}
					def := "struct{ ... }"
					if _, ok := spec.Type.(*ast.StructType); !ok {
						def = src(spec.Type)
					}
					out = append(out, taggedDecl{line: "type " + spec.Name.Name + " " + def, documented: says(d.Doc, spec.Doc)})
				case *ast.ValueSpec:
					for i, n := range spec.Names {
						if !n.IsExported() {
							continue
						}
						out = append(out, taggedDecl{line: valueLine(t, d.Tok, spec, i, src), documented: says(d.Doc, spec.Doc)})
					}
				}
			}
		}
	}
	return out
}

// valueLine returns how doc.go lists the i-th name of a constant or
// variable spec.
func valueLine(t *testing.T, tok token.Token, spec *ast.ValueSpec, i int, src func(any) string) string {
	line := tok.String() + " " + spec.Names[i].Name
	if spec.Type != nil {
		line += " " + src(spec.Type)
	}
	if i >= len(spec.Values) {
		if spec.Type == nil {
			t.Fatalf("%s %s has neither a type nor a value this test can read", tok, spec.Names[i].Name)
		}
		return line
	}
	if tok == token.CONST {
		return line + " = " + src(spec.Values[i])
	}
	if spec.Type != nil {
		return line
	}
	if call, ok := spec.Values[i].(*ast.CallExpr); ok && src(call.Fun) == "errors.New" {
		return line + " error"
	}
	t.Fatalf("cannot tell the type of var %s: give it a type, or teach this test to read its value", spec.Names[i].Name)
	return ""
}

// TestEveryLibraryFileSaysUnix checks what the "Unix only" section of
// doc.go promises: the build line of every library file is "unix" or
// "unix && ...", so that unix is visibly a condition of each.
func TestEveryLibraryFileSaysUnix(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		var expr constraint.Expr
		for _, g := range f.Comments {
			for _, c := range g.List {
				if constraint.IsGoBuild(c.Text) {
					if expr, err = constraint.Parse(c.Text); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for and, ok := expr.(*constraint.AndExpr); ok; and, ok = expr.(*constraint.AndExpr) {
			expr = and.X
		}
		if tag, ok := expr.(*constraint.TagExpr); !ok || tag.Tag != "unix" {
			t.Errorf("%s: its build line does not begin with unix: //go:build %v", name, expr)
		}
	}
}
