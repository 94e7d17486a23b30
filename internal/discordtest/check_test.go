package discordtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// What discordgo itself sends for well-formed messages must pass untouched.
func TestCheckersAcceptDiscordgoPayloads(t *testing.T) {
	t.Parallel()
	one := 1
	row := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Yes", CustomID: "ci1:yes"},
		discordgo.Button{Label: "Guide", Style: discordgo.LinkButton, URL: "https://example.org/guide"},
	}}
	menu := discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
		CustomID: "ci1:mood", Placeholder: "How do you feel?", MinValues: &one, MaxValues: 1,
		Options: []discordgo.SelectMenuOption{{Label: "Calm", Value: "calm"}, {Label: "Shaky", Value: "shaky", Description: "a bit"}},
	}}}
	message := discordgo.MessageSend{
		Content:         "Hello",
		Embeds:          []*discordgo.MessageEmbed{{Title: "Aftercare", Description: "Water.", Fields: []*discordgo.MessageEmbedField{{Name: "a", Value: "b"}}, Footer: &discordgo.MessageEmbedFooter{Text: "f"}}},
		Components:      []discordgo.MessageComponent{row, menu},
		AllowedMentions: noMentions(),
	}
	if p := CheckMessage(mustJSON(t, message)); len(p) != 0 {
		t.Errorf("MessageSend: %q", p)
	}
	content := "edited"
	if p := CheckMessage(mustJSON(t, discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()})); len(p) != 0 {
		t.Errorf("WebhookEdit: %q", p)
	}
	responses := map[string]discordgo.InteractionResponse{
		"message": {Type: 4, Data: &discordgo.InteractionResponseData{Content: "hi", Flags: discordgo.MessageFlagsEphemeral, Components: []discordgo.MessageComponent{row}, AllowedMentions: noMentions()}},
		"defer":   {Type: 5, Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}},
		"ack":     {Type: 6},
		"update":  {Type: 7, Data: &discordgo.InteractionResponseData{Content: "done", AllowedMentions: noMentions()}},
		"choices": {Type: 8, Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "Water", Value: "water"}}}},
		"modal": {Type: 9, Data: &discordgo.InteractionResponseData{CustomID: "m", Title: "Note", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{CustomID: "t", Label: "Text", Style: discordgo.TextInputShort, MaxLength: 200}}},
		}}},
	}
	for name, r := range responses {
		if p := CheckCallback(mustJSON(t, r)); len(p) != 0 {
			t.Errorf("%s response: %q", name, p)
		}
	}
	perms := int64(8)
	cmd := discordgo.ApplicationCommand{Name: "checkin", Description: "Check in", DefaultMemberPermissions: &perms, Options: []*discordgo.ApplicationCommandOption{{
		Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List them",
	}}}
	if p := CheckCommands(mustJSON(t, []any{cmd})); len(p) != 0 {
		t.Errorf("command: %q", p)
	}
}

func TestCheckMessageFindsBrokenLimits(t *testing.T) {
	t.Parallel()
	am := `"allowed_mentions":{"parse":[]}`
	button := func(id string) string { return fmt.Sprintf(`{"type":2,"style":1,"label":"b","custom_id":%q}`, id) }
	rowOf := func(items ...string) string { return `{"type":1,"components":[` + strings.Join(items, ",") + `]}` }
	fields := func(n int) string {
		var fs []string
		for range n {
			fs = append(fs, `{"name":"n","value":"v"}`)
		}
		return strings.Join(fs, ",")
	}
	var six []string
	for i := range 6 {
		six = append(six, rowOf(button(fmt.Sprint(i))))
	}
	options := func(n int) string {
		var os []string
		for i := range n {
			os = append(os, fmt.Sprintf(`{"label":"l","value":"v%d"}`, i))
		}
		return strings.Join(os, ",")
	}
	cases := []problemCase{
		{"content", `{"content":"` + strings.Repeat("é", 2001) + `",` + am + `}`, "content: 2001 characters, limit 2000"},
		{"no allowed_mentions", `{"content":"hi"}`, "allowed_mentions: missing"},
		{"parse users", `{"content":"hi","allowed_mentions":{"parse":["users"]}}`, "allowed_mentions.parse: is [users]"},
		{"eleven embeds", `{"embeds":[` + strings.Repeat(`{"title":"t"},`, 10) + `{"title":"t"}],` + am + `}`, "embeds: 11 items, limit 10"},
		{"title", `{"embeds":[{"title":"` + strings.Repeat("t", 257) + `"}],` + am + `}`, "embeds[0].title: 257 characters, limit 256"},
		{"description", `{"embeds":[{"description":"` + strings.Repeat("d", 4097) + `"}],` + am + `}`, "embeds[0].description: 4097 characters"},
		{"total", `{"embeds":[{"description":"` + strings.Repeat("d", 4000) + `"},{"description":"` + strings.Repeat("d", 2001) + `"}],` + am + `}`, "embeds: 6001 characters of embed text"},
		{"fields", `{"embeds":[{"fields":[` + fields(26) + `]}],` + am + `}`, "embeds[0].fields: 26 items, limit 25"},
		{"field value", `{"embeds":[{"fields":[{"name":"n","value":"` + strings.Repeat("v", 1025) + `"}]}],` + am + `}`, "embeds[0].fields[0].value: 1025 characters, limit 1024"},
		{"empty field name", `{"embeds":[{"fields":[{"name":"","value":"v"}]}],` + am + `}`, "embeds[0].fields[0].name: 0 characters, at least 1"},
		{"footer", `{"embeds":[{"footer":{"text":"` + strings.Repeat("f", 2049) + `"}}],` + am + `}`, "embeds[0].footer.text: 2049 characters"},
		{"six rows", `{"components":[` + strings.Join(six, ",") + `],` + am + `}`, "components: 6 items, limit 5"},
		{"six buttons", `{"components":[` + rowOf(button("a"), button("b"), button("c"), button("d"), button("e"), button("f")) + `],` + am + `}`, "components[0].components: 6 items, limit 5"},
		{"button and select", `{"components":[` + rowOf(button("a"), `{"type":3,"custom_id":"s","options":[`+options(1)+`]}`) + `],` + am + `}`, "a row with a select menu must hold nothing else"},
		{"duplicate ids", `{"components":[` + rowOf(button("a"), button("a")) + `],` + am + `}`, `"a" is also used`},
		{"label", `{"components":[` + rowOf(`{"type":2,"style":1,"custom_id":"x","label":"`+strings.Repeat("l", 81)+`"}`) + `],` + am + `}`, "label: 81 characters, limit 80"},
		{"no custom_id", `{"components":[` + rowOf(`{"type":2,"style":1,"label":"x"}`) + `],` + am + `}`, "custom_id: is required"},
		{"long custom_id", `{"components":[` + rowOf(button(strings.Repeat("c", 101))) + `],` + am + `}`, "custom_id: 101 characters, limit 100"},
		{"link with custom_id", `{"components":[` + rowOf(`{"type":2,"style":5,"label":"x","url":"https://x","custom_id":"y"}`) + `],` + am + `}`, "a link button cannot have a custom_id"},
		{"bad style", `{"components":[` + rowOf(`{"type":2,"style":7,"label":"x","custom_id":"y"}`) + `],` + am + `}`, "style: 7 is outside 1..6"},
		{"no options", `{"components":[` + rowOf(`{"type":3,"custom_id":"s","options":[]}`) + `],` + am + `}`, "options: 0 items, at least 1"},
		{"26 options", `{"components":[` + rowOf(`{"type":3,"custom_id":"s","options":[`+options(26)+`]}`) + `],` + am + `}`, "options: 26 items, limit 25"},
		{"option label", `{"components":[` + rowOf(`{"type":3,"custom_id":"s","options":[{"label":"`+strings.Repeat("l", 101)+`","value":"v"}]}`) + `],` + am + `}`, "options[0].label: 101 characters"},
		{"placeholder", `{"components":[` + rowOf(`{"type":3,"custom_id":"s","placeholder":"`+strings.Repeat("p", 151)+`","options":[`+options(1)+`]}`) + `],` + am + `}`, "placeholder: 151 characters, limit 150"},
		{"max_values", `{"components":[` + rowOf(`{"type":3,"custom_id":"s","max_values":3,"options":[`+options(2)+`]}`) + `],` + am + `}`, "max_values: 3, but the menu has only 2 options"},
		{"not a row", `{"components":[` + button("a") + `],` + am + `}`, "a message's top-level component must be an action row"},
		{"nonce", `{"content":"x","nonce":"` + strings.Repeat("n", 26) + `",` + am + `}`, "nonce: 26 characters, limit 25"},
		{"unknown field", `{"content":"x","ephemeral":true,` + am + `}`, "ephemeral: unknown field"},
		{"not json", `{"content":`, "body: not a JSON object"},
	}
	expectProblems(t, CheckMessage, cases)
}

func TestCheckCallbackFindsBrokenLimits(t *testing.T) {
	t.Parallel()
	input := func(extra string) string {
		return `{"type":1,"components":[{"type":4,"custom_id":"t","style":1,"label":"L"` + extra + `}]}`
	}
	modal := func(title string, rows ...string) string {
		return `{"type":9,"data":{"custom_id":"m","title":"` + title + `","components":[` + strings.Join(rows, ",") + `]}}`
	}
	var choices []string
	for i := range 26 {
		choices = append(choices, fmt.Sprintf(`{"name":"c%d","value":"v"}`, i))
	}
	cases := []problemCase{
		{"modal title", modal(strings.Repeat("t", 46), input("")), "data.title: 46 characters, limit 45"},
		{"six modal rows", modal("T", input(""), input(""), input(""), input(""), input(""), input("")), "data.components: 6 items, limit 5"},
		{"input label", modal("T", input(`,"label":"`+strings.Repeat("l", 46)+`"`)), "label: 46 characters, limit 45"},
		{"input max_length", modal("T", input(`,"max_length":4001`)), "max_length: 4001 is outside 1..4000"},
		{"input style", modal("T", `{"type":1,"components":[{"type":4,"custom_id":"t","label":"L"}]}`), "style: is required"},
		{"button in modal", modal("T", `{"type":1,"components":[{"type":2,"style":1,"label":"b","custom_id":"b"}]}`), "a modal row holds one text input"},
		{"26 choices", `{"type":8,"data":{"choices":[` + strings.Join(choices, ",") + `]}}`, "data.choices: 26 items, limit 25"},
		{"choice name", `{"type":8,"data":{"choices":[{"name":"` + strings.Repeat("n", 101) + `","value":"v"}]}}`, "data.choices[0].name: 101 characters"},
		{"no choices", `{"type":8,"data":{}}`, "data.choices: is required"},
		{"empty reply", `{"type":4,"data":{"content":"","allowed_mentions":{"parse":[]}}}`, "empty message"},
		{"reply without allowed_mentions", `{"type":4,"data":{"content":"hi"}}`, "data.allowed_mentions: missing"},
		{"update without allowed_mentions", `{"type":7,"data":{"content":"hi"}}`, "data.allowed_mentions: missing"},
		{"reply content", `{"type":4,"data":{"content":"` + strings.Repeat("c", 2001) + `","allowed_mentions":{"parse":[]}}}`, "data.content: 2001 characters"},
		{"defer flags", `{"type":5,"data":{"flags":4}}`, "a deferred response can only set 64"},
		{"unknown type", `{"type":3}`, "3 is not an interaction callback type"},
	}
	expectProblems(t, CheckCallback, cases)
	if p := checkCallback([]byte(`{"type":8,"data":{"choices":[]}}`), 0, InteractionCommand); !strings.Contains(strings.Join(p, "\n"), "not valid for interaction type 2") {
		t.Errorf("autocomplete answer to a command: %q", p)
	}
}

func TestCheckCommandsFindsBrokenDefinitions(t *testing.T) {
	t.Parallel()
	opt := func(name string, required bool) string {
		return fmt.Sprintf(`{"type":3,"name":%q,"description":"d","required":%t}`, name, required)
	}
	var many, choices []string
	for i := range 26 {
		many = append(many, opt(fmt.Sprintf("o%d", i), false))
		choices = append(choices, fmt.Sprintf(`{"name":"c%d","value":"v"}`, i))
	}
	cases := []problemCase{
		{"upper case", `[{"name":"Aftercare","description":"d"}]`, `[0].name: "Aftercare" must be 1-32 lower-case`},
		{"space", `[{"name":"after care","description":"d"}]`, `must be 1-32 lower-case`},
		{"long name", `[{"name":"` + strings.Repeat("a", 33) + `","description":"d"}]`, "[0].name: 33 characters, limit 32"},
		{"no description", `[{"name":"a"}]`, "[0].description: is required"},
		{"long description", `[{"name":"a","description":"` + strings.Repeat("d", 101) + `"}]`, "[0].description: 101 characters, limit 100"},
		{"26 options", `[{"name":"a","description":"d","options":[` + strings.Join(many, ",") + `]}]`, "[0].options: 26 items, limit 25"},
		{"26 choices", `[{"name":"a","description":"d","options":[{"type":3,"name":"o","description":"d","choices":[` + strings.Join(choices, ",") + `]}]}]`, "[0].options[0].choices: 26 items, limit 25"},
		{"required after optional", `[{"name":"a","description":"d","options":[` + opt("x", false) + `,` + opt("y", true) + `]}]`, "required options must come before optional ones"},
		{"option name", `[{"name":"a","description":"d","options":[` + opt("Topic", false) + `]}]`, `"Topic" must be 1-32 lower-case`},
		{"mixed", `[{"name":"a","description":"d","options":[{"type":1,"name":"s","description":"d"},` + opt("x", false) + `]}]`, "sub-commands and ordinary options cannot be mixed"},
		{"duplicate", `[{"name":"a","description":"d"},{"name":"a","description":"d"}]`, `"a" is registered twice`},
		{"choice type", `[{"name":"a","description":"d","options":[{"type":4,"name":"n","description":"d","choices":[{"name":"one","value":"1"}]}]}]`, "choice value type does not match"},
		{"autocomplete and choices", `[{"name":"a","description":"d","options":[{"type":3,"name":"n","description":"d","autocomplete":true,"choices":[{"name":"x","value":"x"}]}]}]`, "autocomplete and choices cannot be combined"},
		{"bad context", `[{"name":"a","description":"d","contexts":[3]}]`, "[0].contexts[0]: 3 is not a valid value"},
	}
	expectProblems(t, CheckCommands, cases)
}

// Discord refuses a body with anything after its JSON object; so must the checkers.
func TestCheckersRefuseDataAfterTheObject(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"content":"hi","allowed_mentions":{"parse":[]}} {}`,
		`{"content":"hi","allowed_mentions":{"parse":[]}}]`,
		`null`,
	} {
		if p := CheckMessage([]byte(body)); len(p) != 1 || p[0] != "body: not a JSON object" {
			t.Errorf("%s: %q", body, p)
		}
	}
	if p := CheckMessage([]byte(`{"content":"hi","allowed_mentions":{"parse":[]}}` + "\n")); len(p) != 0 {
		t.Errorf("a trailing newline: %q", p)
	}
}

// problemCase is a payload and a problem its checker must report.
type problemCase struct{ name, payload, want string }

// expectProblems runs check on each case's payload and wants a problem containing want.
func expectProblems(t *testing.T, check func([]byte) []string, cases []problemCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := check([]byte(c.payload))
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("problems %q, want one containing %q", problems, c.want)
			}
		})
	}
}
