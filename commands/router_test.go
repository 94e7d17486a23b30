package commands

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/storage"
)

// A click's custom_id is parsed once, by the router, and everything after it (middlewares,
// the handler) reads the route and the named arguments it found.
func TestCustomIDIsParsedOncePerInteraction(t *testing.T) {
	f := newFixture(t)
	calls := 0
	f.router.parse = func(s string) (customID, error) { calls++; return parseCustomID(s) }
	var seen []string
	f.router.Use(func(next Handler) Handler {
		return func(ctx context.Context, req Request) Result {
			seen = append(seen, req.Route)
			return next(ctx, req)
		}
	})
	var args map[string]string
	f.router.add(nil, map[string]HandlerFunc{"zz1:probe/{id}/{choice}": func(_ context.Context, req Request) (Response, error) {
		args = req.Args
		return privateText("ok"), nil
	}})
	for _, tc := range []struct {
		req        Request
		route      string
		parseCalls int
	}{
		{Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:probe:42:good"}, "zz1:probe/{id}/{choice}", 1},
		{Request{Kind: KindModal, Caller: alice, CustomID: "zz1:probe:42:good"}, "zz1:probe/{id}/{choice}", 1},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "ac1:home"}, routeHome, 1},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "zz9:made:up"}, "", 1},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "no-colon"}, "", 1},
		{slash(alice, "aftercare", nil), "aftercare", 0},
		{slash(alice, "made-up", nil), "", 0},
	} {
		calls, seen = 0, nil
		f.do(t, tc.req)
		if calls != tc.parseCalls || len(seen) != 1 || seen[0] != tc.route {
			t.Errorf("%q/%q: %d parses, middleware saw routes %q; want %d parse(s) and route %q",
				tc.req.CustomID, tc.req.Command, calls, seen, tc.parseCalls, tc.route)
		}
	}
	f.do(t, Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:probe:42:good"})
	if args["id"] != "42" || args["choice"] != "good" || len(args) != 2 {
		t.Errorf("handler read args %v, want id 42 and choice good", args)
	}
}

// The wire format of custom_ids is not the patterns': ids on DMs already sent keep working.
func TestPatternsKeepTheWireFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{makeCustomID(routeAnswer, "42", storage.AnswerGood), "ci1:answer:42:good"},
		{makeCustomID(routeWordsModal, "7"), "ci1:wordsm:7"},
		{makeCustomID(routeRemove, "200000000000000002"), "pt1:remove:200000000000000002"},
		{makeCustomID(routePlanShare, "on"), "pl1:share:on"},
		{makeCustomID(routeHome), "ac1:home"},
	} {
		if tc.got != tc.want {
			t.Errorf("custom_id %q, want %q", tc.got, tc.want)
		}
	}
	f := newFixture(t)
	for route, c := range f.router.components {
		if got := makeCustomID(c.pattern.text); got != route {
			t.Errorf("pattern %q makes route %q, registered as %q", c.pattern.text, got, route)
		}
	}
}

func TestDuplicateCommandOrRoutePanicsAtStartUp(t *testing.T) {
	f := newFixture(t)
	handler := func(context.Context, Request) (Response, error) { return Response{}, nil }
	for name, register := range map[string]func(){
		"command":             func() { f.router.add([]Command{{Definition: Definition{Name: "aftercare"}, Handle: handler}}, nil) },
		"route":               func() { f.router.add(nil, map[string]HandlerFunc{routeHome: handler}) },
		"route, other params": func() { f.router.add(nil, map[string]HandlerFunc{"ci1:answer/{x}": handler}) },
		"malformed pattern":   func() { f.router.add(nil, map[string]HandlerFunc{"zz1:x/id": handler}) },
	} {
		func() {
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("%s registered twice (or malformed) without a panic", name)
				}
			}()
			register()
		}()
	}
	// The first registration still answers.
	if r := f.do(t, slash(alice, "aftercare", nil)); len(r.Embeds) != 1 {
		t.Errorf("/aftercare after the refused duplicate: %+v", r)
	}
}

// The router says how an interaction ended as a value; nobody compares reply texts.
func TestHandleReturnsTheOutcome(t *testing.T) {
	f := newFixture(t)
	f.router.add(nil, map[string]HandlerFunc{
		"zz1:fail":  func(context.Context, Request) (Response, error) { return Response{}, errors.New("disk on fire") },
		"zz1:panic": func(context.Context, Request) (Response, error) { panic("boom") },
	})
	ctx := context.Background()
	for _, tc := range []struct {
		req     Request
		want    Outcome
		content string
	}{
		{slash(alice, "about", nil), Answered, ""},
		{Request{Kind: KindComponent, CustomID: "ac1:home"}, Refused, msgSomethingWrong},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:fail"}, Failed, msgSomethingWrong},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:panic"}, Panicked, msgSomethingWrong},
		{Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:gone"}, NoRoute, msgNoLongerAvailable},
		{slash(alice, "nope", nil), NoRoute, msgUnknownCommand},
	} {
		res := f.router.Handle(ctx, tc.req)
		if res.Outcome != tc.want || (tc.content != "" && (res.Content != tc.content || !res.Ephemeral)) {
			t.Errorf("%q%q: outcome %v, reply %q; want %v, %q", tc.req.Command, tc.req.CustomID, res.Outcome, res.Content, tc.want, tc.content)
		}
	}
	if res := f.router.Handle(ctx, Request{Kind: KindComponent, Caller: alice, CustomID: "zz1:fail"}); !strings.Contains(res.Err.Error(), "disk on fire") {
		t.Errorf("a failure's error is lost: %v", res.Err)
	}
}
