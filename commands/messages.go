package commands

// Every user-facing sentence of the commands lives here, so tone and wording are kept in one
// place; the guidance itself lives in the content package.
const (
	msgSomethingWrong    = "Sorry, something went wrong on my side. Please try again in a moment."
	msgNoLongerAvailable = "This is no longer available: it may come from an older message. Run the command again to get a fresh one."
	msgUnknownCommand    = "I don't know that command. `/aftercare` is a good place to start."
	msgUnsupported       = "I can't handle that kind of interaction yet."

	msgUnknownTopic  = "I don't have that topic. Here are the closest ones I have:"
	msgTopicTooLong  = "That topic is too long to look up (the limit is %d characters). Start typing and pick one from the list."
	msgTopicPickMore = "More topics"
	msgBackHome      = "Back to the overview"
	msgGuideFooter   = "Afterglow shares general guidance, not medical advice. If someone may be hurt, seek medical help: /aftercare topic:red-flags"
	msgServerHelp    = "From this server's team"

	descAftercare      = "Aftercare guidance: what can help after sex or a scene"
	descAftercareTopic = "What you'd like to read about (start typing to search)"
	descAftercareShare = "Post it for everyone in this channel (otherwise only you see it)"
)
