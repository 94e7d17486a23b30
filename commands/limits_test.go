package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/afterglow-bot/afterglow/internal/discordlimits"
)

// Discord's limits, by the names this checker uses; the values are discordlimits'. The
// commands package checks them before the bot converts a Response: it cannot import the
// bot's checker.
const (
	limitContent       = discordlimits.Content
	limitEmbeds        = discordlimits.Embeds
	limitEmbedTotal    = discordlimits.EmbedTotal
	limitEmbedTitle    = discordlimits.EmbedTitle
	limitDescription   = discordlimits.EmbedDescription
	limitFields        = discordlimits.EmbedFields
	limitFieldName     = discordlimits.FieldName
	limitFieldValue    = discordlimits.FieldValue
	limitFooter        = discordlimits.FooterText
	limitRows          = discordlimits.Rows
	limitButtons       = discordlimits.ButtonsPerRow
	limitButtonLabel   = discordlimits.ButtonLabel
	limitSelectOptions = discordlimits.SelectOptions
	limitSelectText    = discordlimits.SelectText
	limitPlaceholder   = discordlimits.Placeholder
	limitChoices       = discordlimits.Choices
	limitChoiceText    = discordlimits.ChoiceText
	limitModalTitle    = discordlimits.ModalTitle
	limitModalInputs   = discordlimits.ModalInputs
	limitInputLabel    = discordlimits.InputLabel
	limitInputValue    = discordlimits.InputValue
	limitInputHint     = discordlimits.InputHint
)

// checkResponseLimits fails t for every Discord limit resp breaks.
func checkResponseLimits(t testing.TB, resp Response) {
	t.Helper()
	for _, p := range responseProblems(resp) {
		t.Error(p)
	}
}

// responseProblems lists the limits a response breaks; empty means Discord would take it.
func responseProblems(resp Response) []string {
	var c limitChecker
	switch resp.Type {
	case Choices:
		c.atMost("choices", len(resp.Choices), limitChoices)
		for i, ch := range resp.Choices {
			c.textIn(fmt.Sprintf("choices[%d].name", i), ch.Name, 1, limitChoiceText)
			c.textIn(fmt.Sprintf("choices[%d].value", i), ch.Value, 1, limitChoiceText)
		}
	case ShowModal:
		c.modal(resp.Modal)
	case Reply, Update:
		c.message(resp.Content, resp.Embeds, resp.Components)
		if resp.Type == Reply && resp.Content == "" && len(resp.Embeds) == 0 && len(resp.Components) == 0 && len(resp.Files) == 0 {
			c.add("reply: empty message")
		}
	default:
		c.add(fmt.Sprintf("type: unknown response type %d", resp.Type))
	}
	return c.problems
}

// messageProblems lists the limits a direct message breaks.
func messageProblems(m Message) []string {
	var c limitChecker
	c.message(m.Content, m.Embeds, m.Components)
	if m.Content == "" && len(m.Embeds) == 0 {
		c.add("message: nothing to show")
	}
	return c.problems
}

type limitChecker struct{ problems []string }

func (c *limitChecker) add(p string) { c.problems = append(c.problems, p) }

func (c *limitChecker) atMost(what string, n, limit int) {
	if n > limit {
		c.add(fmt.Sprintf("%s: %d, limit %d", what, n, limit))
	}
}

func (c *limitChecker) textIn(what, s string, minLen, maxLen int) {
	if n := runeLen(s); n < minLen || n > maxLen {
		c.add(fmt.Sprintf("%s: %d characters, allowed %d to %d", what, n, minLen, maxLen))
	}
}

func (c *limitChecker) message(content string, embeds []Embed, rows []Row) {
	c.atMost("content (characters)", runeLen(content), limitContent)
	c.atMost("embeds", len(embeds), limitEmbeds)
	total := 0
	for i, e := range embeds {
		path := fmt.Sprintf("embeds[%d]", i)
		c.atMost(path+".title", runeLen(e.Title), limitEmbedTitle)
		c.atMost(path+".description", runeLen(e.Description), limitDescription)
		c.atMost(path+".footer", runeLen(e.Footer), limitFooter)
		c.atMost(path+".fields", len(e.Fields), limitFields)
		total += runeLen(e.Title) + runeLen(e.Description) + runeLen(e.Footer)
		for j, f := range e.Fields {
			c.textIn(fmt.Sprintf("%s.fields[%d].name", path, j), f.Name, 1, limitFieldName)
			c.textIn(fmt.Sprintf("%s.fields[%d].value", path, j), f.Value, 1, limitFieldValue)
			total += runeLen(f.Name) + runeLen(f.Value)
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == "" {
			c.add(path + ": empty embed")
		}
	}
	c.atMost("embeds (total characters)", total, limitEmbedTotal)
	c.atMost("rows", len(rows), limitRows)
	for i, row := range rows {
		c.row(fmt.Sprintf("components[%d]", i), row)
	}
}

func (c *limitChecker) row(path string, row Row) {
	switch {
	case row.Select != nil && len(row.Buttons) > 0:
		c.add(path + ": a select menu shares its row with buttons")
	case row.Select == nil && len(row.Buttons) == 0:
		c.add(path + ": empty row")
	}
	c.atMost(path+".buttons", len(row.Buttons), limitButtons)
	for i, b := range row.Buttons {
		bp := fmt.Sprintf("%s.buttons[%d]", path, i)
		c.atMost(bp+".label", runeLen(b.Label), limitButtonLabel)
		if b.Label == "" && b.Emoji == "" {
			c.add(bp + ": neither label nor emoji")
		}
		if b.Style < Primary || b.Style > Danger {
			c.add(fmt.Sprintf("%s.style: %d", bp, b.Style))
		}
		c.customID(bp+".custom_id", b.CustomID)
	}
	if s := row.Select; s != nil {
		sp := path + ".select"
		c.customID(sp+".custom_id", s.CustomID)
		c.atMost(sp+".placeholder", runeLen(s.Placeholder), limitPlaceholder)
		if len(s.Options) == 0 {
			c.add(sp + ".options: none")
		}
		c.atMost(sp+".options", len(s.Options), limitSelectOptions)
		if s.MinValues < 0 || s.MaxValues < 1 || s.MinValues > s.MaxValues || s.MaxValues > len(s.Options) {
			c.add(fmt.Sprintf("%s: min %d / max %d values with %d options", sp, s.MinValues, s.MaxValues, len(s.Options)))
		}
		for i, o := range s.Options {
			op := fmt.Sprintf("%s.options[%d]", sp, i)
			c.textIn(op+".label", o.Label, 1, limitSelectText)
			c.textIn(op+".value", o.Value, 1, limitSelectText)
			c.atMost(op+".description", runeLen(o.Description), limitSelectText)
		}
	}
}

func (c *limitChecker) modal(m *Modal) {
	if m == nil {
		c.add("modal: missing")
		return
	}
	c.customID("modal.custom_id", m.CustomID)
	c.textIn("modal.title", m.Title, 1, limitModalTitle)
	if len(m.Inputs) == 0 {
		c.add("modal.inputs: none")
	}
	c.atMost("modal.inputs", len(m.Inputs), limitModalInputs)
	for i, in := range m.Inputs {
		p := fmt.Sprintf("modal.inputs[%d]", i)
		c.textIn(p+".custom_id", in.CustomID, 1, maxCustomID) // read by name, not routed
		c.textIn(p+".label", in.Label, 1, limitInputLabel)
		c.atMost(p+".placeholder", runeLen(in.Placeholder), limitInputHint)
		if in.MaxLength < 1 || in.MaxLength > limitInputValue {
			c.add(fmt.Sprintf("%s.max_length: %d, allowed 1 to %d", p, in.MaxLength, limitInputValue))
		}
		c.atMost(p+".value", runeLen(in.Value), max(in.MaxLength, 0))
	}
}

// customID checks an id the bot will read back: within Discord's length and parsable here.
func (c *limitChecker) customID(what, id string) {
	c.textIn(what, id, 1, maxCustomID)
	if _, err := parseCustomID(id); err != nil {
		c.add(fmt.Sprintf("%s: %q does not parse", what, id))
	}
}

func TestResponseProblemsCatchOverLimitResponses(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	fine := privateEmbed(Embed{Title: "t", Description: "d", Fields: []Field{{Name: "n", Value: "v"}}},
		Row{Buttons: []Button{{Label: "ok", Style: Primary, CustomID: "ac1:home"}}})
	if p := responseProblems(fine); len(p) != 0 {
		t.Fatalf("a response within every limit was refused: %v", p)
	}
	for name, tc := range map[string]struct {
		resp Response
		want string
	}{
		"content":      {privateText(long(limitContent + 1)), "content"},
		"empty reply":  {Response{Type: Reply}, "empty message"},
		"embed title":  {privateEmbed(Embed{Title: long(limitEmbedTitle + 1)}), "title"},
		"eleven":       {Response{Embeds: make([]Embed, limitEmbeds+1)}, "embeds: 11"},
		"embed total":  {Response{Embeds: []Embed{{Description: long(4000)}, {Description: long(2001)}}}, "total"},
		"field value":  {privateEmbed(Embed{Fields: []Field{{Name: "n", Value: long(limitFieldValue + 1)}}}), "value"},
		"six rows":     {privateEmbed(Embed{Title: "t"}, make([]Row, limitRows+1)...), "rows: 6"},
		"button id":    {privateEmbed(Embed{Title: "t"}, Row{Buttons: []Button{{Label: "x", Style: Primary, CustomID: "nocolon"}}}), "does not parse"},
		"select vals":  {privateEmbed(Embed{Title: "t"}, Row{Select: &Select{CustomID: "a:b", MinValues: 1, MaxValues: 2, Options: []SelectOption{{Label: "l", Value: "v"}}}}), "max 2"},
		"choice name":  {Response{Type: Choices, Choices: []Choice{{Name: long(101), Value: "v"}}}, "choices[0].name"},
		"modal title":  {Response{Type: ShowModal, Modal: &Modal{CustomID: "a:b", Title: long(46), Inputs: []TextInput{{CustomID: "a:c", Label: "l", MaxLength: 10}}}}, "modal.title"},
		"modal absent": {Response{Type: ShowModal}, "modal: missing"},
	} {
		got := strings.Join(responseProblems(tc.resp), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: problems %q lack %q", name, got, tc.want)
		}
	}
}
