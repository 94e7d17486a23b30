package commands

import (
	"context"
	"strings"
	"testing"
)

func TestAftercareWithoutTopicShowsPrivateOverview(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", nil))
	if resp.Type != Reply || !resp.Ephemeral {
		t.Fatalf("want a private reply, got type %v ephemeral %v", resp.Type, resp.Ephemeral)
	}
	overview, _ := f.lib.Topic("overview")
	if len(resp.Embeds) != 1 || resp.Embeds[0].Title != overview.Title {
		t.Fatalf("want the overview embed, got %+v", resp.Embeds)
	}
	if len(resp.Components) != 1 || resp.Components[0].Select == nil {
		t.Fatalf("overview wants only the topic menu, got %+v", resp.Components)
	}
	if got, want := len(resp.Components[0].Select.Options), len(f.lib.Topics()); got != want || got > 25 {
		t.Fatalf("menu has %d options, want %d (<= 25)", got, want)
	}
}

func TestAftercareEveryTopicByIDAndTitle(t *testing.T) {
	f := newFixture(t)
	for _, topic := range f.lib.Topics() {
		for _, query := range []string{topic.ID, strings.ToUpper(topic.Title)} {
			resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": query}))
			if len(resp.Embeds) != 1 || resp.Embeds[0].Title != topic.Title || resp.Embeds[0].Description != topic.Body {
				t.Fatalf("topic %q: got %+v", query, resp)
			}
			if !resp.Ephemeral {
				t.Fatalf("topic %q: want private by default", query)
			}
			wantRows := 2
			if topic.ID == "overview" {
				wantRows = 1
			}
			if len(resp.Components) != wantRows {
				t.Fatalf("topic %q: %d rows, want %d", query, len(resp.Components), wantRows)
			}
		}
	}
}

func TestAftercareShare(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": "drop", "share": "true"}))
	if resp.Ephemeral || resp.Type != Reply {
		t.Fatalf("share:true must be public, got %+v", resp)
	}
	resp = f.do(t, slash(alice, "aftercare", map[string]string{"topic": "drop", "share": "false"}))
	if !resp.Ephemeral {
		t.Fatal("share:false must be private")
	}
}

func TestAftercareUnknownTopicSuggestsClosest(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": "cudle"}))
	if !resp.Ephemeral || !strings.HasPrefix(resp.Content, msgUnknownTopic) || len(resp.Embeds) != 0 {
		t.Fatalf("want a private unknown-topic message, got %+v", resp)
	}
	sel := resp.Components[0].Select
	if sel == nil || len(sel.Options) != 3 {
		t.Fatalf("want a menu of the 3 closest topics, got %+v", resp.Components)
	}
	found := false
	for _, o := range sel.Options {
		found = found || o.Value == "cuddle"
	}
	if !found {
		t.Fatalf("'cudle' should suggest cuddle, got %+v", sel.Options)
	}
	if strings.Contains(resp.Content, "cudle") {
		t.Fatal("the reply must not echo what the user typed")
	}
}

func TestAftercareRefusesOverlongTopic(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": strings.Repeat("x", 101)}))
	if !resp.Ephemeral || !strings.Contains(resp.Content, "100 characters") {
		t.Fatalf("want a private refusal naming the limit, got %+v", resp)
	}
}

func TestAftercareBlankTopicIsOverview(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": "   "}))
	if len(resp.Embeds) != 1 || resp.Embeds[0].Title != mustTopic(t, f, "overview").Title {
		t.Fatalf("blank topic should show the overview, got %+v", resp)
	}
}

func TestAftercareAutocomplete(t *testing.T) {
	f := newFixture(t)
	req := Request{Kind: KindAutocomplete, Caller: alice, Command: "aftercare", Focused: "topic", Options: map[string]string{"topic": "drop"}}
	resp := f.do(t, req)
	if resp.Type != Choices || len(resp.Choices) == 0 || resp.Choices[0].Value != "drop" {
		t.Fatalf("want drop first, got %+v", resp.Choices)
	}
	req.Options["topic"] = ""
	resp = f.do(t, req)
	if len(resp.Choices) != len(f.lib.Topics()) || len(resp.Choices) > 25 {
		t.Fatalf("empty query: got %d choices", len(resp.Choices))
	}
}

func TestAftercareNavigation(t *testing.T) {
	f := newFixture(t)
	private := &MessageInfo{ID: "m1", Ephemeral: true, InvokerID: alice.ID}
	resp := f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: routeTopic, Values: []string{"pcd"}, Message: private})
	if resp.Type != Update || resp.Embeds[0].Title != mustTopic(t, f, "pcd").Title {
		t.Fatalf("select should update the message to pcd, got %+v", resp)
	}
	resp = f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: routeHome, Message: private})
	if resp.Type != Update || resp.Embeds[0].Title != mustTopic(t, f, "overview").Title {
		t.Fatalf("home should show the overview, got %+v", resp)
	}
}

func TestAftercareSharedMessageAnswersOthersPrivately(t *testing.T) {
	f := newFixture(t)
	shared := &MessageInfo{ID: "m2", Ephemeral: false, InvokerID: alice.ID}
	resp := f.do(t, Request{Kind: KindComponent, Caller: bob, CustomID: routeTopic, Values: []string{"drop"}, Message: shared})
	if resp.Type != Reply || !resp.Ephemeral || resp.Embeds[0].Title != mustTopic(t, f, "drop").Title {
		t.Fatalf("someone else's click must get a private copy, got type %v ephemeral %v", resp.Type, resp.Ephemeral)
	}
	resp = f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: routeTopic, Values: []string{"drop"}, Message: shared})
	if resp.Type != Update || resp.Ephemeral {
		t.Fatalf("the sharer's own click updates the public message, got type %v ephemeral %v", resp.Type, resp.Ephemeral)
	}
}

func TestStaleOrUnknownComponentsAreAnsweredKindly(t *testing.T) {
	f := newFixture(t)
	for _, req := range []Request{
		{Kind: KindComponent, Caller: alice, CustomID: "zz9:gone"},
		{Kind: KindComponent, Caller: alice, CustomID: "nonsense"},
		{Kind: KindComponent, Caller: alice, CustomID: routeTopic, Values: []string{"no-such-topic"}},
		{Kind: KindComponent, Caller: alice, CustomID: routeTopic},
		{Kind: KindModal, Caller: alice, CustomID: "old9:modal"},
	} {
		resp := f.do(t, req)
		if resp.Type != Reply || !resp.Ephemeral || resp.Content != msgNoLongerAvailable {
			t.Errorf("%q: got %+v", req.CustomID, resp)
		}
	}
	resp := f.do(t, Request{Kind: KindUnknown, Caller: alice})
	if !resp.Ephemeral || resp.Content != msgUnsupported {
		t.Errorf("unknown kind: got %+v", resp)
	}
	resp = f.do(t, slash(alice, "nope", nil))
	if !resp.Ephemeral || resp.Content != msgUnknownCommand {
		t.Errorf("unknown command: got %+v", resp)
	}
}

func TestRouterRecoversHandlerPanics(t *testing.T) {
	f := newFixture(t)
	f.router.add(nil, map[string]HandlerFunc{"zz1:boom": func(context.Context, Request) (Response, error) { panic("boom") }})
	resp := f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:boom"})
	if !resp.Ephemeral || resp.Content != msgSomethingWrong {
		t.Fatalf("a panic must become a kind private error, got %+v", resp)
	}
}

func mustTopic(t testing.TB, f *fixture, id string) struct{ Title string } {
	t.Helper()
	topic, ok := f.lib.Topic(id)
	if !ok {
		t.Fatalf("no topic %q", id)
	}
	return struct{ Title string }{topic.Title}
}

func BenchmarkAftercareHandler(b *testing.B) {
	f := newFixture(b)
	req := slash(alice, "aftercare", map[string]string{"topic": "drop"})
	req.InteractionID = "1"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp := f.router.Handle(ctx, req); len(resp.Embeds) != 1 {
			b.Fatal("no embed")
		}
	}
}

func BenchmarkAftercareAutocomplete(b *testing.B) {
	f := newFixture(b)
	req := Request{Kind: KindAutocomplete, InteractionID: "1", Caller: alice, Command: "aftercare", Focused: "topic", Options: map[string]string{"topic": "dr"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.router.Handle(ctx, req)
	}
}

// In a bad moment the safety topics must be in reach: the menu shows them right after the overview.
func TestAftercareMenuPutsSafetyTopicsFirst(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, slash(alice, "aftercare", map[string]string{"topic": "drop"}))
	if len(resp.Components) == 0 || resp.Components[0].Select == nil {
		t.Fatalf("no topic menu: %+v", resp.Components)
	}
	var got []string
	for _, o := range resp.Components[0].Select.Options[:4] {
		got = append(got, o.Value)
	}
	if want := []string{"overview", "red-flags", "resources", "boundary"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("menu starts %v, want %v", got, want)
	}
}
