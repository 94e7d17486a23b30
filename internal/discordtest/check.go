package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/afterglow-bot/afterglow/internal/discordlimits"
)

// Discord's published limits, by the names this checker uses (values: discordlimits).
const (
	maxContent          = discordlimits.Content
	maxEmbeds           = discordlimits.Embeds
	maxEmbedTotal       = discordlimits.EmbedTotal
	maxEmbedTitle       = discordlimits.EmbedTitle
	maxEmbedDescription = discordlimits.EmbedDescription
	maxEmbedFields      = discordlimits.EmbedFields
	maxFieldName        = discordlimits.FieldName
	maxFieldValue       = discordlimits.FieldValue
	maxFooterText       = discordlimits.FooterText
	maxAuthorName       = discordlimits.AuthorName
	maxRows             = discordlimits.Rows
	maxButtonsPerRow    = discordlimits.ButtonsPerRow
	maxButtonLabel      = discordlimits.ButtonLabel
	maxCustomID         = discordlimits.CustomID
	maxSelectOptions    = discordlimits.SelectOptions
	maxSelectText       = discordlimits.SelectText
	maxPlaceholder      = discordlimits.Placeholder
	maxModalTitle       = discordlimits.ModalTitle
	maxModalRows        = discordlimits.ModalInputs
	maxInputLabel       = discordlimits.InputLabel
	maxInputValue       = discordlimits.InputValue
	maxInputPlaceholder = discordlimits.InputHint
	maxChoices          = discordlimits.Choices
	maxChoiceText       = discordlimits.ChoiceText
	maxCommandOptions   = discordlimits.CommandOptions
	maxCommandName      = discordlimits.CommandName
	maxDescription      = discordlimits.Description
	maxCommandTotal     = discordlimits.CommandTotal
	maxNonce            = discordlimits.Nonce
	maxFiles            = discordlimits.Files

	flagComponentsV2 = 1 << 15
)

var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

// Top-level fields Discord knows, from the OpenAPI request schemas.
var (
	messageFields = []string{
		"content", "embeds", "allowed_mentions", "sticker_ids", "components", "flags",
		"attachments", "poll", "shared_client_theme", "message_reference", "nonce",
		"enforce_nonce", "tts", "username", "avatar_url", "thread_name", "applied_tags",
		"ID", "Channel", // discordgo's MessageEdit sends its routing fields; Discord ignores them
	}
	callbackMessageFields = []string{"content", "embeds", "allowed_mentions", "components", "attachments", "poll", "tts", "flags"}
	commandFields         = []string{
		"id", "application_id", "guild_id", "version", "type", "name", "name_localizations",
		"description", "description_localizations", "options", "default_member_permissions",
		"default_permission", "dm_permission", "contexts", "integration_types", "nsfw", "handler",
	}
)

// textLen counts characters as Discord does: Unicode code points.
func textLen(s string) int { return utf8.RuneCountInString(s) }

// CheckMessage lists the rules a message payload breaks (channel message create or edit,
// interaction follow-up or response edit); empty means Discord would accept it. Every
// message must carry allowed_mentions with an empty parse list.
func CheckMessage(payload []byte) []string { return checkMessage(payload, 0) }

// CheckCallback lists the rules an interaction response body ({"type":..,"data":..}) breaks.
func CheckCallback(payload []byte) []string { return checkCallback(payload, 0, 0) }

// CheckCommands lists the rules a command object, or a bulk-overwrite list, breaks.
func CheckCommands(payload []byte) []string {
	raws, isList := commandList(payload)
	if raws == nil {
		return []string{"body: not a JSON command object or list"}
	}
	c := &checker{}
	perType := map[int][]string{}
	for i, raw := range raws {
		path := ""
		if isList {
			path = fmt.Sprintf("[%d]", i)
		}
		m, err := decodeObject(raw)
		if err != nil {
			c.add(path, "not a JSON object")
			continue
		}
		typ, name := c.command(m, path)
		if slices.Contains(perType[typ], name) {
			c.add(path+".name", "%q is registered twice", name)
		}
		perType[typ] = append(perType[typ], name)
	}
	for typ, most := range map[int]int{1: 100, 2: 15, 3: 15} {
		if n := len(perType[typ]); n > most {
			c.add("body", "%d commands of type %d, limit %d", n, typ, most)
		}
	}
	return c.problems
}

func checkMessage(payload []byte, files int) []string {
	m, err := decodeObject(payload)
	if err != nil {
		return []string{"body: not a JSON object"}
	}
	return checkMessageObject(m, files)
}

// checkMessageObject checks a decoded message payload (decodeObject).
func checkMessageObject(m map[string]any, files int) []string {
	c := &checker{}
	c.unknownFields(m, "", messageFields)
	c.messageBody(m, "", files)
	if v, given := m["nonce"]; given && v != nil {
		switch n := v.(type) {
		case string:
			if textLen(n) > maxNonce {
				c.add("nonce", "%d characters, limit %d", textLen(n), maxNonce)
			}
		case json.Number:
			if _, err := n.Int64(); err != nil {
				c.add("nonce", "must be a string or a 64-bit integer")
			}
		default:
			c.add("nonce", "must be a string or an integer")
		}
	}
	c.boolean(m, "enforce_nonce")
	return c.problems
}

// emptyBody reports a decoded create payload with nothing to show (Discord's 50006).
func emptyBody(m map[string]any, files int) bool {
	content, _ := m["content"].(string)
	filled := func(key string) bool {
		list, _ := m[key].([]any)
		return len(list) > 0
	}
	return content == "" && files == 0 && m["poll"] == nil &&
		!filled("embeds") && !filled("components") && !filled("attachments") && !filled("sticker_ids")
}

// callbackTypesFor lists the callback types Discord accepts per interaction type.
var callbackTypesFor = map[int][]int{
	InteractionPing:         {CallbackPong},
	InteractionCommand:      {CallbackMessage, CallbackDeferredMessage, CallbackModal},
	InteractionComponent:    {CallbackMessage, CallbackDeferredMessage, CallbackDeferredUpdate, CallbackUpdate, CallbackModal},
	InteractionAutocomplete: {CallbackAutocomplete},
	InteractionModalSubmit:  {CallbackMessage, CallbackDeferredMessage, CallbackDeferredUpdate, CallbackUpdate},
}

// checkCallback checks an interaction response; interactionType 0 skips the pairing check.
func checkCallback(payload []byte, files, interactionType int) []string {
	m, err := decodeObject(payload)
	if err != nil {
		return []string{"body: not a JSON object"}
	}
	return checkCallbackObject(m, files, interactionType)
}

// checkCallbackObject checks a decoded interaction response (decodeObject).
func checkCallbackObject(m map[string]any, files, interactionType int) []string {
	c := &checker{}
	c.unknownFields(m, "", []string{"type", "data"})
	typ, given := c.integer(m, "", "type")
	if !given {
		c.add("type", "is required")
		return c.problems
	}
	if allowed, known := callbackTypesFor[interactionType]; known && !slices.Contains(allowed, int(typ)) {
		c.add("type", "callback type %d is not valid for interaction type %d (allowed: %v)", typ, interactionType, allowed)
	}
	data, hasData := c.object(m["data"], "data")
	switch typ {
	case CallbackPong, CallbackDeferredUpdate:
	case CallbackMessage, CallbackUpdate:
		if !hasData {
			if typ == CallbackMessage {
				c.add("data", "is required for a message response")
			}
			break
		}
		c.unknownFields(data, "data", callbackMessageFields)
		c.messageBody(data, "data", files)
		if flags, _ := c.integer(data, "data", "flags"); flags&^(FlagSuppressEmbeds|FlagEphemeral|1<<12|flagComponentsV2) != 0 {
			c.add("data.flags", "%d sets flags a response cannot set (allowed: 4, 64, 4096, 32768)", flags)
		}
		if typ == CallbackMessage && emptyBody(data, files) {
			c.add("data", "empty message: no content, embeds, components or files")
		}
	case CallbackDeferredMessage:
		if hasData {
			if flags, _ := c.integer(data, "data", "flags"); flags&^FlagEphemeral != 0 {
				c.add("data.flags", "%d: a deferred response can only set 64 (ephemeral)", flags)
			}
		}
	case CallbackAutocomplete:
		if !hasData {
			c.add("data", "is required for autocomplete results")
			break
		}
		c.choices(data, "data", true)
	case CallbackModal:
		if !hasData {
			c.add("data", "is required for a modal")
			break
		}
		c.modal(data, "data")
	default:
		c.add("type", "%d is not an interaction callback type", typ)
	}
	return c.problems
}

// checker collects problems with JSON paths.
type checker struct{ problems []string }

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, strings.TrimPrefix(path, ".")+": "+fmt.Sprintf(format, args...))
}

// decodeObject decodes a JSON object with its numbers kept exact, as the checker needs
// them; anything after the object is an error, as it is to Discord.
func decodeObject(payload []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("null body")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return m, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func (c *checker) unknownFields(m map[string]any, path string, known []string) {
	var unknown []string
	for k := range m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown) // problems in a stable order
	for _, k := range unknown {
		c.add(join(path, k), "unknown field; Discord ignores it")
	}
}

func (c *checker) object(v any, path string) (map[string]any, bool) {
	if v == nil {
		return nil, false
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		c.add(path, "must be an object")
	}
	return m, isObject
}

// str returns m[key] as a string; given is false when absent or null.
func (c *checker) str(m map[string]any, path, key string) (string, bool) {
	v := m[key]
	if v == nil {
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		c.add(join(path, key), "must be a string")
		return "", false
	}
	return s, true
}

// text checks a string's length; minLen > 0 makes it required.
func (c *checker) text(m map[string]any, path, key string, minLen, maxLen int) (string, bool) {
	s, given := c.str(m, path, key)
	if !given {
		if minLen > 0 {
			c.add(join(path, key), "is required")
		}
		return "", false
	}
	switch n := textLen(s); {
	case n > maxLen:
		c.add(join(path, key), "%d characters, limit %d", n, maxLen)
	case n < minLen:
		c.add(join(path, key), "%d characters, at least %d", n, minLen)
	}
	return s, true
}

func (c *checker) integer(m map[string]any, path, key string) (int64, bool) {
	v := m[key]
	if v == nil {
		return 0, false
	}
	n, isNumber := v.(json.Number)
	i, err := n.Int64()
	if !isNumber || err != nil {
		c.add(join(path, key), "must be an integer")
		return 0, false
	}
	return i, true
}

// intRange checks an optional integer field against [lo, hi].
func (c *checker) intRange(m map[string]any, path, key string, lo, hi int64) (int64, bool) {
	n, given := c.integer(m, path, key)
	if given && (n < lo || n > hi) {
		c.add(join(path, key), "%d is outside %d..%d", n, lo, hi)
	}
	return n, given
}

func (c *checker) boolean(m map[string]any, key string) {
	if v := m[key]; v != nil {
		if _, isBool := v.(bool); !isBool {
			c.add(key, "must be a boolean")
		}
	}
}

// list returns m[key] as a list, checking its length; nil when absent or null.
func (c *checker) list(m map[string]any, path, key string, minItems, maxItems int) []any {
	v := m[key]
	if v == nil {
		if minItems > 0 {
			c.add(join(path, key), "is required")
		}
		return nil
	}
	l, isList := v.([]any)
	if !isList {
		c.add(join(path, key), "must be a list")
		return nil
	}
	switch {
	case len(l) > maxItems:
		c.add(join(path, key), "%d items, limit %d", len(l), maxItems)
	case len(l) < minItems:
		c.add(join(path, key), "%d items, at least %d", len(l), minItems)
	}
	return l
}

// objects yields the elements of a list that are objects, reporting the others.
func (c *checker) objects(l []any, path string) func(func(int, map[string]any) bool) {
	return func(yield func(int, map[string]any) bool) {
		for i, v := range l {
			m, isObject := c.object(v, index(path, i))
			if v == nil {
				c.add(index(path, i), "must be an object")
			}
			if isObject && !yield(i, m) {
				return
			}
		}
	}
}

// messageBody checks what any message payload shares: content, embeds, components,
// allowed_mentions and files.
func (c *checker) messageBody(m map[string]any, path string, files int) {
	c.text(m, path, "content", 0, maxContent)
	c.embeds(m, path)
	flags, _ := c.integer(m, path, "flags")
	c.messageComponents(m, path, flags)
	c.allowedMentions(m, path)
	c.list(m, path, "attachments", 0, maxFiles)
	if files > maxFiles {
		c.add(join(path, "files"), "%d files, limit %d", files, maxFiles)
	}
}

// allowedMentions requires an allowed_mentions object whose parse list, if given, is
// empty: then no text can ping anyone. discordgo's zero MessageAllowedMentions sends
// "parse":null, which Discord reads as an empty list.
func (c *checker) allowedMentions(m map[string]any, path string) {
	p := join(path, "allowed_mentions")
	am, given := c.object(m["allowed_mentions"], p)
	if !given {
		c.add(p, `missing; every message must set {"parse":[]} so no text can ping anyone`)
		return
	}
	if am["parse"] == nil {
		return
	}
	parse, isList := am["parse"].([]any)
	switch {
	case !isList:
		c.add(p+".parse", "must be a list")
	case len(parse) > 0:
		c.add(p+".parse", "is %v; it must be empty so no text can ping anyone", parse)
	}
}

func (c *checker) embeds(m map[string]any, path string) {
	p := join(path, "embeds")
	total := 0
	for i, e := range c.objects(c.list(m, path, "embeds", 0, maxEmbeds), p) {
		total += c.embed(e, index(p, i))
	}
	if total > maxEmbedTotal {
		c.add(p, "%d characters of embed text in all, limit %d", total, maxEmbedTotal)
	}
}

// embed checks one embed and returns how much text it holds.
func (c *checker) embed(e map[string]any, path string) int {
	title, _ := c.text(e, path, "title", 0, maxEmbedTitle)
	desc, _ := c.text(e, path, "description", 0, maxEmbedDescription)
	c.str(e, path, "url")
	c.str(e, path, "timestamp")
	c.intRange(e, path, "color", 0, 0xFFFFFF)
	total := textLen(title) + textLen(desc)
	for i, f := range c.objects(c.list(e, path, "fields", 0, maxEmbedFields), join(path, "fields")) {
		fp := index(join(path, "fields"), i)
		name, _ := c.text(f, fp, "name", 1, maxFieldName)
		value, _ := c.text(f, fp, "value", 1, maxFieldValue)
		total += textLen(name) + textLen(value)
	}
	if footer, given := c.object(e["footer"], join(path, "footer")); given {
		text, _ := c.text(footer, join(path, "footer"), "text", 1, maxFooterText)
		total += textLen(text)
	}
	if author, given := c.object(e["author"], join(path, "author")); given {
		name, _ := c.text(author, join(path, "author"), "name", 1, maxAuthorName)
		total += textLen(name)
	}
	for _, media := range []string{"image", "thumbnail"} {
		if img, given := c.object(e[media], join(path, media)); given {
			c.text(img, join(path, media), "url", 1, 2048)
		}
	}
	return total
}

// messageComponents checks classic components: up to 5 action rows, each with 1-5
// buttons or exactly one select menu, custom_ids unique in the message.
func (c *checker) messageComponents(m map[string]any, path string, flags int64) {
	p := join(path, "components")
	if flags&flagComponentsV2 != 0 {
		c.add(p, "components v2 (flag 32768) are not supported by the stand-in's checker")
		return
	}
	ids := map[string]string{}
	for i, row := range c.objects(c.list(m, path, "components", 0, maxRows), p) {
		rp := index(p, i)
		if t, _ := c.integer(row, rp, "type"); t != 1 {
			c.add(join(rp, "type"), "%d; a message's top-level component must be an action row (1)", t)
			continue
		}
		children := c.list(row, rp, "components", 1, maxButtonsPerRow)
		selects := 0
		for j, child := range c.objects(children, join(rp, "components")) {
			cp := index(join(rp, "components"), j)
			switch t, _ := c.integer(child, cp, "type"); t {
			case 2:
				c.button(child, cp, ids)
			case 3:
				selects++
				c.stringSelect(child, cp, ids)
			case 5, 6, 7, 8:
				selects++
				c.customID(child, cp, ids)
				c.text(child, cp, "placeholder", 0, maxPlaceholder)
				c.valueCounts(child, cp, -1)
			case 4:
				c.add(cp, "a text input belongs in a modal, not a message")
			default:
				c.add(join(cp, "type"), "%d is not a component an action row can hold", t)
			}
		}
		if selects > 0 && len(children) > 1 {
			c.add(rp, "a row with a select menu must hold nothing else (it holds %d components)", len(children))
		}
	}
}

// customID checks a required custom_id and its uniqueness within one message or modal.
func (c *checker) customID(m map[string]any, path string, ids map[string]string) {
	id, given := c.text(m, path, "custom_id", 1, maxCustomID)
	if !given {
		return
	}
	if first, dup := ids[id]; dup {
		c.add(join(path, "custom_id"), "%q is also used at %s; custom_ids must be unique", id, first)
		return
	}
	ids[id] = path
}

func (c *checker) button(b map[string]any, path string, ids map[string]string) {
	style, given := c.intRange(b, path, "style", 1, 6)
	if !given {
		c.add(join(path, "style"), "is required")
	}
	label, _ := c.text(b, path, "label", 0, maxButtonLabel)
	switch style {
	case 5:
		c.text(b, path, "url", 1, 512)
		if b["custom_id"] != nil {
			c.add(join(path, "custom_id"), "a link button cannot have a custom_id")
		}
	case 6:
		if b["custom_id"] != nil || b["url"] != nil || b["label"] != nil {
			c.add(path, "a premium button has only a sku_id")
		}
		return
	default:
		c.customID(b, path, ids)
		if b["url"] != nil {
			c.add(join(path, "url"), "only link buttons (style 5) have a url")
		}
	}
	if label == "" && b["emoji"] == nil {
		c.add(path, "a button needs a label or an emoji")
	}
	c.boolean(b, "disabled")
}

func (c *checker) stringSelect(sel map[string]any, path string, ids map[string]string) {
	c.customID(sel, path, ids)
	c.text(sel, path, "placeholder", 0, maxPlaceholder)
	opts := c.list(sel, path, "options", 1, maxSelectOptions)
	values := map[string]bool{}
	defaults := 0
	for i, o := range c.objects(opts, join(path, "options")) {
		op := index(join(path, "options"), i)
		c.text(o, op, "label", 1, maxSelectText)
		c.text(o, op, "description", 0, maxSelectText)
		if v, given := c.text(o, op, "value", 1, maxSelectText); given {
			if values[v] {
				c.add(join(op, "value"), "%q repeats another option's value", v)
			}
			values[v] = true
		}
		if d, _ := o["default"].(bool); d {
			defaults++
		}
	}
	maxValues := c.valueCounts(sel, path, len(opts))
	if defaults > maxValues {
		c.add(path, "%d default options, but max_values is %d", defaults, maxValues)
	}
}

// valueCounts checks min_values/max_values (options < 0: not a string select) and
// returns the effective max_values.
func (c *checker) valueCounts(sel map[string]any, path string, options int) int {
	minV, minGiven := c.intRange(sel, path, "min_values", 0, 25)
	maxV, maxGiven := c.intRange(sel, path, "max_values", 1, 25)
	if !minGiven {
		minV = 1
	}
	if !maxGiven {
		maxV = 1
	}
	if minV > maxV {
		c.add(path, "min_values %d is more than max_values %d", minV, maxV)
	}
	if options > 0 && maxV > int64(options) {
		c.add(join(path, "max_values"), "%d, but the menu has only %d options", maxV, options)
	}
	return int(maxV)
}

func (c *checker) modal(m map[string]any, path string) {
	c.unknownFields(m, path, append([]string{"custom_id", "title", "components"}, callbackMessageFields...))
	ids := map[string]string{}
	c.customID(m, path, ids)
	c.text(m, path, "title", 1, maxModalTitle)
	p := join(path, "components")
	for i, row := range c.objects(c.list(m, path, "components", 1, maxModalRows), p) {
		rp := index(p, i)
		if t, _ := c.integer(row, rp, "type"); t != 1 {
			c.add(join(rp, "type"), "%d; a modal's rows must be action rows (1)", t)
			continue
		}
		for j, in := range c.objects(c.list(row, rp, "components", 1, 1), join(rp, "components")) {
			c.textInput(in, index(join(rp, "components"), j), ids)
		}
	}
}

func (c *checker) textInput(in map[string]any, path string, ids map[string]string) {
	if t, _ := c.integer(in, path, "type"); t != 4 {
		c.add(join(path, "type"), "%d; a modal row holds one text input (4)", t)
		return
	}
	c.customID(in, path, ids)
	if _, given := c.intRange(in, path, "style", 1, 2); !given {
		c.add(join(path, "style"), "is required (1 short, 2 paragraph)")
	}
	c.text(in, path, "label", 1, maxInputLabel)
	c.text(in, path, "placeholder", 0, maxInputPlaceholder)
	minL, minGiven := c.intRange(in, path, "min_length", 0, maxInputValue)
	maxL, maxGiven := c.intRange(in, path, "max_length", 1, maxInputValue)
	if minGiven && maxGiven && minL > maxL {
		c.add(path, "min_length %d is more than max_length %d", minL, maxL)
	}
	if v, given := c.text(in, path, "value", 0, maxInputValue); given && maxGiven && int64(textLen(v)) > maxL {
		c.add(join(path, "value"), "%d characters, more than its max_length %d", textLen(v), maxL)
	}
	c.boolean(in, "required")
}

// choices checks autocomplete results or declared option choices and returns them.
func (c *checker) choices(m map[string]any, path string, required bool) []map[string]any {
	if required && m["choices"] == nil {
		c.add(join(path, "choices"), "is required (an empty list means no results)")
	}
	p := join(path, "choices")
	var out []map[string]any
	for i, ch := range c.objects(c.list(m, path, "choices", 0, maxChoices), p) {
		out = append(out, ch)
		cp := index(p, i)
		c.text(ch, cp, "name", 1, maxChoiceText)
		switch v := ch["value"].(type) {
		case string:
			c.text(ch, cp, "value", 0, maxChoiceText)
		case json.Number:
		case nil:
			c.add(join(cp, "value"), "is required")
		default:
			c.add(join(cp, "value"), "must be a string or a number, not %T", v)
		}
	}
	return out
}

// command checks one application command and returns its type and name.
func (c *checker) command(m map[string]any, path string) (int, string) {
	c.unknownFields(m, path, commandFields)
	typ, given := c.intRange(m, path, "type", 1, 4)
	if !given {
		typ = 1
	}
	name, _ := c.text(m, path, "name", 1, maxCommandName)
	desc, _ := c.str(m, path, "description")
	total := textLen(name) + textLen(desc)
	if typ == 1 {
		if !commandName.MatchString(name) || strings.ToLower(name) != name {
			c.add(join(path, "name"), "%q must be 1-32 lower-case letters, digits, - or _", name)
		}
		c.text(m, path, "description", 1, maxDescription)
		total += c.commandOptions(m, path, levelCommand)
	} else {
		if desc != "" {
			c.add(join(path, "description"), "user and message commands have no description")
		}
		if m["options"] != nil {
			c.add(join(path, "options"), "user and message commands have no options")
		}
	}
	if total > maxCommandTotal {
		c.add(path, "%d characters of names, descriptions and choices, limit %d", total, maxCommandTotal)
	}
	for key, most := range map[string]int64{"contexts": 2, "integration_types": 1} {
		for i, v := range c.list(m, path, key, 0, 3) {
			if n, isNumber := v.(json.Number); !isNumber || !validEnum(n, most) {
				c.add(index(join(path, key), i), "%v is not a valid value", v)
			}
		}
	}
	if v := m["default_member_permissions"]; v != nil {
		s, _ := v.(string)
		if n, isNumber := v.(json.Number); isNumber {
			s = n.String()
		}
		if !isSnowflake(s) && s != "0" {
			c.add(join(path, "default_member_permissions"), "must be a permission bit set as a string of digits")
		}
	}
	return int(typ), name
}

func validEnum(n json.Number, most int64) bool {
	i, err := n.Int64()
	return err == nil && i >= 0 && i <= most
}

// Where command options sit, for the nesting rules.
const (
	levelCommand = iota
	levelGroup
	levelSubCommand
)

// commandOptions checks the options of a command, sub-command group or sub-command and
// returns their text length.
func (c *checker) commandOptions(m map[string]any, path string, level int) int {
	p := join(path, "options")
	opts := c.list(m, path, "options", 0, maxCommandOptions)
	total := 0
	names := map[string]bool{}
	subs, plain := 0, 0
	optionalSeen := false
	for i, o := range c.objects(opts, p) {
		op := index(p, i)
		typ, given := c.intRange(o, op, "type", 1, 11)
		if !given {
			c.add(join(op, "type"), "is required")
		}
		name, _ := c.text(o, op, "name", 1, maxCommandName)
		if !commandName.MatchString(name) || strings.ToLower(name) != name {
			c.add(join(op, "name"), "%q must be 1-32 lower-case letters, digits, - or _", name)
		}
		if names[name] {
			c.add(join(op, "name"), "%q is used twice", name)
		}
		names[name] = true
		desc, _ := c.text(o, op, "description", 1, maxDescription)
		total += textLen(name) + textLen(desc)
		required, _ := o["required"].(bool)
		switch typ {
		case OptionSubCommandGroup:
			subs++
			if level != levelCommand {
				c.add(op, "a sub-command group can only sit at the top level")
			}
			total += c.commandOptions(o, op, levelGroup)
			continue
		case OptionSubCommand:
			subs++
			if level == levelSubCommand {
				c.add(op, "a sub-command cannot hold sub-commands")
			}
			total += c.commandOptions(o, op, levelSubCommand)
			continue
		}
		plain++
		if level == levelGroup {
			c.add(op, "a sub-command group holds only sub-commands")
		}
		if required && optionalSeen {
			c.add(op, "required options must come before optional ones")
		}
		optionalSeen = optionalSeen || !required
		hasChoices := o["choices"] != nil
		auto, _ := o["autocomplete"].(bool)
		valued := typ == OptionString || typ == OptionInteger || typ == OptionNumber
		if (hasChoices || auto) && !valued {
			c.add(op, "only string, integer and number options take choices or autocomplete")
		}
		if auto && hasChoices {
			if l, _ := o["choices"].([]any); len(l) > 0 {
				c.add(op, "autocomplete and choices cannot be combined")
			}
		}
		for i, ch := range c.choices(o, op, false) {
			name, _ := ch["name"].(string)
			total += textLen(name) + textLen(fmt.Sprint(ch["value"]))
			if _, isString := ch["value"].(string); isString != (typ == OptionString) {
				c.add(index(join(op, "choices"), i), "choice value type does not match option type %d", typ)
			}
		}
		c.intRange(o, op, "min_length", 0, 6000)
		c.intRange(o, op, "max_length", 1, 6000)
	}
	if subs > 0 && plain > 0 {
		c.add(p, "sub-commands and ordinary options cannot be mixed")
	}
	return total
}
