package content

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// fixtureTopic is the front matter and body of one test topic file.
type fixtureTopic struct {
	id, title, summary, keywords, related string
	order                                 int
	body                                  string
}

func (f fixtureTopic) text() string {
	return fmt.Sprintf("---\nid: %s\ntitle: %s\nsummary: %s\nkeywords: %s\nrelated: %s\norder: %d\n---\n%s\n",
		f.id, f.title, f.summary, f.keywords, f.related, f.order, f.body)
}

func file(text string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(text)} }

// validFixture is a small library that loads; each broken case changes one thing in it.
func validFixture() fstest.MapFS {
	fsys := fstest.MapFS{
		"prompts/partner.txt":  file("First prompt.\n\nSecond prompt.\n"),
		"prompts/self.txt":     file("Self prompt.\n"),
		"prompts/followup.txt": file("Later prompt.\n"),
		"prompts/late.txt":     file("Sorry, late.\n"),
	}
	for _, t := range []fixtureTopic{
		{"a", "Alpha", "First.", "one, two", "b, c", 1, "Body a."},
		{"b", "Beta", "Second.", "three", "a", 2, "Body b."},
		{"c", "Gamma", "Third.", "four", "", 3, "Body c."},
	} {
		fsys["topics/"+t.id+".md"] = file(t.text())
	}
	return fsys
}

func TestLoadFSValidFixture(t *testing.T) {
	lib, err := LoadFS(validFixture())
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	a, ok := lib.Topic("a")
	if !ok {
		t.Fatal("topic a missing")
	}
	want := Topic{ID: "a", Title: "Alpha", Summary: "First.", Keywords: []string{"one", "two"},
		Related: []string{"b", "c"}, Order: 1, Body: "Body a."}
	if fmt.Sprint(a) != fmt.Sprint(want) {
		t.Errorf("topic a = %+v, want %+v", a, want)
	}
	if c, _ := lib.Topic("c"); len(c.Related) != 0 {
		t.Errorf("empty related parsed as %q", c.Related)
	}
	if got := lib.pools[PoolPartner]; len(got) != 2 || got[1] != "Second prompt." {
		t.Errorf("partner prompts = %q, want the two non-blank lines", got)
	}
	if got := lib.pools; len(got[PoolSelf]) != 1 || got[PoolSelf][0] != "Self prompt." || len(got[PoolFollowUp]) != 1 || got[PoolFollowUp][0] != "Later prompt." {
		t.Errorf("pools = %q, want each file in its own pool", got)
	}
}

func TestLoadFSToleratesCRLFBOMAndBlankLines(t *testing.T) {
	fsys := validFixture()
	fsys["topics/b.md"] = file("\uFEFF---\r\nid: b\r\n\r\ntitle:  Beta \r\nsummary: S.\r\nkeywords: k\r\norder: 2\r\n---\r\n\r\nBody b.\r\n")
	lib, err := LoadFS(fsys)
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	if b, _ := lib.Topic("b"); b.Title != "Beta" || b.Body != "Body b." {
		t.Errorf("topic b = %+v", b)
	}
}

// Limits count characters, not bytes: a title of 100 two-byte runes fits.
func TestLoadFSCountsRunes(t *testing.T) {
	fsys := validFixture()
	fsys["topics/b.md"] = file(fixtureTopic{"b", strings.Repeat("é", 100), strings.Repeat("ü", 100),
		"k", "", 2, strings.Repeat("ß", 4096)}.text())
	if _, err := LoadFS(fsys); err != nil {
		t.Errorf("LoadFS rejected text at the limits: %v", err)
	}
}

func TestLoadFSRejects(t *testing.T) {
	topic := func(id, title, summary, keywords, related string, order int, body string) *fstest.MapFile {
		return file(fixtureTopic{id, title, summary, keywords, related, order, body}.text())
	}
	many := func(fsys fstest.MapFS) {
		for i := range 23 {
			id := fmt.Sprintf("x%d", i)
			fsys["topics/"+id+".md"] = topic(id, "Title "+id, "S.", "k", "", 100+i, "B.")
		}
	}
	cases := []struct {
		name   string
		change func(fstest.MapFS)
		want   error
		where  string
	}{
		{"no front matter", func(f fstest.MapFS) { f["topics/b.md"] = file("Just a body.\n") }, errFrontMatter, "topics/b.md"},
		{"unclosed front matter", func(f fstest.MapFS) { f["topics/b.md"] = file("---\nid: b\ntitle: B\n") }, errFrontMatter, "topics/b.md"},
		{"line without colon", func(f fstest.MapFS) {
			f["topics/b.md"] = file("---\nid: b\ntitle B\n---\nBody\n")
		}, errFrontMatter, "topics/b.md"},
		{"unknown key", func(f fstest.MapFS) {
			f["topics/b.md"] = file(strings.Replace(fixtureTopic{"b", "Beta", "S.", "k", "", 2, "B."}.text(), "order:", "colour: red\norder:", 1))
		}, errFrontMatter, "topics/b.md"},
		{"repeated key", func(f fstest.MapFS) {
			f["topics/b.md"] = file(strings.Replace(fixtureTopic{"b", "Beta", "S.", "k", "", 2, "B."}.text(), "order:", "title: Again\norder:", 1))
		}, errFrontMatter, "topics/b.md"},
		{"missing key", func(f fstest.MapFS) {
			f["topics/b.md"] = file("---\nid: b\ntitle: Beta\nkeywords: k\norder: 2\n---\nBody\n")
		}, errFrontMatter, "topics/b.md"},
		{"order not a number", func(f fstest.MapFS) {
			f["topics/b.md"] = file(strings.Replace(fixtureTopic{"b", "Beta", "S.", "k", "", 2, "B."}.text(), "order: 2", "order: second", 1))
		}, errFrontMatter, "topics/b.md"},
		{"empty list item", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "k,,l", "", 2, "B.") }, errFrontMatter, "topics/b.md"},
		{"id differs from file name", func(f fstest.MapFS) { f["topics/b.md"] = topic("bee", "Beta", "S.", "k", "", 2, "B.") }, errIDMismatch, "topics/b.md"},
		{"invalid id", func(f fstest.MapFS) {
			delete(f, "topics/b.md")
			f["topics/B_1.md"] = topic("B_1", "Beta", "S.", "k", "", 2, "B.")
		}, errBadID, "topics/B_1.md"},
		{"duplicate id", func(f fstest.MapFS) { f["topics/b.md"] = topic("c", "Beta", "S.", "k", "", 2, "B.") }, errDuplicateID, "topics/c.md"},
		{"duplicate title", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "ALPHA!", "S.", "k", "", 2, "B.") }, errDuplicateTitle, "topics/b.md"},
		{"duplicate order", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "k", "", 1, "B.") }, errDuplicateOrder, "topics/b.md"},
		{"unknown related", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "k", "a, zeta", 2, "B.") }, errUnknownRelated, "topics/b.md"},
		{"related to itself", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "k", "b", 2, "B.") }, errSelfRelated, "topics/b.md"},
		{"empty title", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "", "S.", "k", "", 2, "B.") }, errTitleLength, "topics/b.md"},
		{"long title", func(f fstest.MapFS) {
			f["topics/b.md"] = topic("b", strings.Repeat("é", 101), "S.", "k", "", 2, "B.")
		}, errTitleLength, "topics/b.md"},
		{"empty summary", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "", "k", "", 2, "B.") }, errSummaryLength, "topics/b.md"},
		{"long summary", func(f fstest.MapFS) {
			f["topics/b.md"] = topic("b", "Beta", strings.Repeat("s", 101), "k", "", 2, "B.")
		}, errSummaryLength, "topics/b.md"},
		{"empty body", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "k", "", 2, "  \n") }, errBodyLength, "topics/b.md"},
		{"long body", func(f fstest.MapFS) {
			f["topics/b.md"] = topic("b", "Beta", "S.", "k", "", 2, strings.Repeat("ß", 4097))
		}, errBodyLength, "topics/b.md"},
		{"no keywords", func(f fstest.MapFS) { f["topics/b.md"] = topic("b", "Beta", "S.", "", "", 2, "B.") }, errNoKeywords, "topics/b.md"},
		{"unexpected file", func(f fstest.MapFS) { f["topics/notes.txt"] = file("x") }, errUnexpectedFile, "topics/notes.txt"},
		{"too many topics", many, errTooManyTopics, "topics"},
		{"no topics", func(f fstest.MapFS) {
			for name := range f {
				if strings.HasPrefix(name, "topics/") {
					delete(f, name)
				}
			}
			f["topics"] = &fstest.MapFile{Mode: fs.ModeDir}
		}, errNoTopics, "topics"},
		{"no partner prompts file", func(f fstest.MapFS) { delete(f, "prompts/partner.txt") }, fs.ErrNotExist, "prompts/partner.txt"},
		{"no self prompts file", func(f fstest.MapFS) { delete(f, "prompts/self.txt") }, fs.ErrNotExist, "prompts/self.txt"},
		{"no follow-up prompts file", func(f fstest.MapFS) { delete(f, "prompts/followup.txt") }, fs.ErrNotExist, "prompts/followup.txt"},
		{"blank partner prompts", func(f fstest.MapFS) { f["prompts/partner.txt"] = file("\n  \n") }, errNoPrompts, "prompts/partner.txt"},
		{"blank self prompts", func(f fstest.MapFS) { f["prompts/self.txt"] = file("\n  \n") }, errNoPrompts, "prompts/self.txt"},
		{"blank follow-up prompts", func(f fstest.MapFS) { f["prompts/followup.txt"] = file("\n") }, errNoPrompts, "prompts/followup.txt"},
		{"no late file", func(f fstest.MapFS) { delete(f, "prompts/late.txt") }, fs.ErrNotExist, "prompts/late.txt"},
		{"late has two lines", func(f fstest.MapFS) { f["prompts/late.txt"] = file("Sorry.\nReally.\n") }, errLateMalformed, "prompts/late.txt"},
		{"prompt too long with late prefix", func(f fstest.MapFS) {
			f["prompts/followup.txt"] = file("Fine.\n" + strings.Repeat("p", 1990) + "\n")
		}, errPromptLength, "prompts/followup.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := validFixture()
			tc.change(fsys)
			lib, err := LoadFS(fsys)
			if err == nil {
				t.Fatalf("LoadFS succeeded, want %v", tc.want)
			}
			if lib != nil {
				t.Error("LoadFS returned a library along with an error")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.where) {
				t.Errorf("error %q does not name %s", err, tc.where)
			}
		})
	}
}

// Authors fixing texts want every problem at once, not one per run.
func TestLoadFSReportsEveryProblem(t *testing.T) {
	fsys := validFixture()
	fsys["topics/a.md"] = file(fixtureTopic{"a", "", "First.", "one", "b", 1, "Body."}.text())
	fsys["topics/b.md"] = file(fixtureTopic{"b", "Beta", "Second.", "", "a", 2, "Body."}.text())
	_, err := LoadFS(fsys)
	if !errors.Is(err, errTitleLength) || !errors.Is(err, errNoKeywords) {
		t.Errorf("error %v, want both the title and the keywords problem", err)
	}
}
