package commands

import "github.com/afterglow-bot/afterglow/storage"

// MsgSomethingWrong is the answer to any failure or panic; exported for the tests that
// drive the bot or its binary and check what people see.
const MsgSomethingWrong = "Sorry, something went wrong on my side. Please try again in a moment."

// Every user-facing sentence of the commands lives here, so tone and wording are kept in one
// place; the guidance itself lives in the content package.
const (
	msgSomethingWrong    = MsgSomethingWrong
	msgNoLongerAvailable = "This is no longer available: it may come from an older message. Run the command again to get a fresh one."
	msgUnknownCommand    = "I don't know that command. `/aftercare` is a good place to start."
	msgUnsupported       = "I can't handle that kind of interaction yet."

	msgUnknownTopic  = "I don't have that topic. Here are the closest ones I have:"
	msgTopicTooLong  = "That topic is too long to look up (the limit is %d characters). Start typing and pick one from the list."
	msgTopicPickMore = "More topics"
	msgBackHome      = "Back to the overview"
	msgGuideFooter   = "Afterglow shares general guidance, not medical advice. If someone may be hurt, seek medical help: /aftercare topic:red-flags"
	msgServerHelp    = "From this server's team"
	// msgServerHelpNamed heads the server's resources in a DM, where no server is in view.
	msgServerHelpNamed = "From the team of %s:"

	descAftercare      = "Aftercare guidance: what can help after sex or a scene"
	descAftercareTopic = "What you'd like to read about (start typing to search)"
	descAftercareShare = "Post it for everyone in this channel (otherwise only you see it)"
)

// Partners.
const (
	descPartner         = "Link up with a partner so you can send each other check-ins"
	descPartnerInvite   = "Invite someone to be your partner on Afterglow"
	descPartnerUser     = "Who to invite"
	descPartnerRequests = "See and answer invitations sent to you"
	descPartnerList     = "See your partners and pending invitations"
	descPartnerRemove   = "End a partner link, at once and quietly"
	descPartnerRemoveU  = "Whose link to end"
	descPartnerBlock    = "Stop someone from inviting you or sending you check-ins"
	descPartnerBlockU   = "Who to block (they are not told)"
	descPartnerUnblock  = "Let someone you blocked invite you again"
	descPartnerUnblockU = "Who to unblock"

	msgInviteSelf       = "You can't invite yourself. For a check-in to yourself, use `/checkin send` and pick yourself as the partner."
	msgInviteBot        = "Bots can't be partners. Invite a person instead."
	msgInviteAlready    = "You and %s are already partners. `/checkin send` sends them a check-in."
	msgInvitePending    = "There's already an invitation waiting between you and %s. `/partner list` shows it, and you can withdraw it there."
	msgInviteLimit      = "You've sent %d invitations in the last 24 hours, which is the daily limit. Please try again tomorrow."
	msgInviteSent       = "Invitation sent to %s. They can accept, decline or ignore it; it expires %s. Nothing is shared until they accept."
	msgInviteNotSent    = "I couldn't deliver this invitation to %s. If they use Afterglow, they may still see it under `/partner requests`."
	msgInviteTitle      = "A partner invitation"
	msgInviteBody       = "%s would like to be partners with you on Afterglow.\n\n**What accepting means**\n- You may receive gentle check-in messages from them after a scene or intimate time, and you can send them check-ins too.\n- You can leave at any time with `/partner remove`, or with the button on any check-in. They are not told.\n- Afterglow is not a record of consent: accepting only allows check-in messages.\n\nThis invitation expires %s."
	msgInviteAccepted   = "You and %s are now partners on Afterglow. You can leave at any time with `/partner remove`."
	msgInviteAcceptedBy = "%s accepted your partner invitation. `/checkin send` now works between you."
	msgInviteDeclined   = "Invitation declined. They are not told."
	msgInviteBlocked    = "Done: %s can no longer invite you or send you check-ins. They are not told."
	msgInviteExpired    = "This invitation has expired. If you'd still like to link up, you can invite them with `/partner invite`."
	msgInviteGone       = "This invitation is no longer available: it may have been withdrawn or answered already."
	msgWithdrawn        = "Invitation withdrawn."
	msgRequestsNone     = "You have no pending invitations."
	msgRequestsTitle    = "Invitations for you"
	msgListTitle        = "Your partners"
	msgListNone         = "You have no partners or pending invitations yet. `/partner invite` sends an invitation."
	msgListPartners     = "**Partners**"
	msgListOutgoing     = "**Invitations you sent**"
	msgListIncoming     = "**Invitations for you** (answer them with `/partner requests`)"
	msgListMore         = "…and %d more."
	msgRemoved          = "Done: you and %s are no longer partners, and pending check-ins between you were cancelled. They are not told."
	msgNotPartners      = "You and %s aren't partners, so there is nothing to end."
	msgLabelAccept      = "Accept"
	msgLabelDecline     = "Decline"
	msgLabelBlock       = "Block this person"
	msgLabelRemove      = "Remove %d"
	msgLabelWithdraw    = "Withdraw %d"
	msgBlocked          = "Done: %s can no longer invite you or send you check-ins. If you were partners, that link has ended and pending check-ins between you were cancelled. They are not told. `/partner unblock` undoes the block."
	msgBlockAlready     = "You have already blocked %s, so nothing changed. `/partner unblock` lifts the block if you change your mind."
	msgBlockSelf        = "You can't block yourself. If you'd like no invitations at all, `/settings invitations:false` turns them off."
	msgBlockBot         = "Bots can't invite you or send you check-ins, so there is nothing to block."
	msgUnblocked        = "Done: %s can invite you again. They are not told. A partner link that ended stays ended: `/partner invite` starts a new one if you'd like."
	msgNotBlocked       = "You haven't blocked %s, so there is nothing to undo."
	msgUnblockSelf      = "You can't block yourself, so there is nothing to undo."
	msgUnblockBot       = "Bots can't be blocked, so there is nothing to undo."
)

// Check-ins.
const (
	descCheckin          = "Send a partner (or yourself) a gentle check-in by DM"
	descCheckinSend      = "Send a check-in now or later"
	descCheckinPartner   = "Your partner, or yourself"
	descCheckinIn        = "When: now, or a delay like 15m, 2h, 1h30m, 1d (up to 7 days)"
	descCheckinNote      = "A short note they will see (up to 300). Keep it discreet: previews show on lock screens"
	descCheckinFollowups = "Also check in again 1 day and 3 days later, when drop may come"
	descCheckinList      = "Your check-ins of the last 7 days"
	descCheckinCancel    = "Cancel a check-in that hasn't been sent yet"
	descCheckinCancelID  = "Which check-in (start typing to pick)"

	msgDelayForm        = "I couldn't read that time. Use `now`, or a delay such as `15m`, `2h`, `1h30m` or `1d` (up to 7 days)."
	msgDelayTooLong     = "That's more than 7 days away. Pick a delay of 7 days or less, such as `1d` or `3d`."
	msgNoteTooLong      = "Your note is %d characters; the limit is %d. Please shorten it and send again."
	msgCheckinBot       = "Bots can't receive check-ins. Pick a partner, or yourself."
	msgCheckinNotLinked = "You and %s aren't partners yet, so I can't DM them. Invite them with `/partner invite`; check-ins work once they accept."
	msgCheckinLimit     = "You've scheduled %d check-ins to %s in the last 24 hours, which is the daily limit. Please try again later."
	msgCheckinsOffHere  = "This server has turned check-ins off. You can still use them in a DM with me."
	msgCheckinScheduled = "Check-in for %s scheduled %s (%s)."
	msgCheckinNow       = "Check-in for %s is on its way, due %s."
	msgCheckinFollowups = "Follow-ups: %s."
	msgCheckinSelf      = "yourself"
	msgLabelCancel      = "Cancel"
	msgLabelCancelN     = "Cancel %d"
	msgCancelled        = "Cancelled: %d check-in(s) won't be sent."
	msgCancelGone       = "That check-in can't be cancelled any more: it has been sent, cancelled or answered already."
	msgCancelBadID      = "I couldn't find that check-in. Pick one from the list as you type, or see `/checkin list`."
	msgListEmpty        = "You have no check-ins from the last 7 days. `/checkin send` schedules one."
	msgCheckinListTitle = "Your check-ins (last 7 days)"
	msgPartnerPlanTitle = "Their shared aftercare plan"

	msgDMTitle        = "A gentle check-in"
	msgDMFrom         = "From %s"
	msgDMFromSelf     = "A check-in you scheduled for yourself."
	msgDMNoteHeading  = "Their note:"
	msgDMPlanHeading  = "Your aftercare plan"
	msgDMFooter       = "No need to reply. Only the sender sees your answer. To stop check-ins from this person, use \"" + msgLabelStop + "\" below."
	msgDMFooterSelf   = "No need to reply. Only you see your answer. To stop the ones still to come, use /checkin cancel."
	msgLabelWords     = "Add a few words"
	msgLabelStop      = "Stop check-ins from this person"
	msgAnswerThanks   = "Thank you for answering. %s will see: %s"
	msgAnswerSelf     = "Thank you for checking in with yourself: %s"
	msgAnswerClosed   = "This check-in is closed now. If you'd like to talk, reach out to them directly."
	msgAnswerUnlinked = "This check-in is closed: you and its sender are no longer partners, so I won't pass anything on."
	msgAnswerNotYours = "This check-in isn't for you, so your click wasn't counted."
	msgAnswerTopic    = "This might help: `/aftercare topic:%s` (%s)."
	msgAnswerHelp     = "If anyone may be hurt or in danger, please contact a doctor or your local emergency services now."
	msgWordsTitle     = "A few words back"
	msgWordsLabel     = "What would you like them to know?"
	msgWordsTooLong   = "Your words are %d characters; the limit is %d. Please shorten them and send again."
	msgWordsEmpty     = "There were no words to send. Nothing was changed."
	msgStopped        = "Done: %s can no longer send you check-ins, and your partner link has ended. They are not told."
	msgRelayAnswer    = "%s answered your check-in: %s"
	msgRelayWords     = "%s added a few words to your check-in:"
	msgTellClosed     = "I couldn't deliver your check-in to %s: Discord won't let me DM them (their DMs may be closed to me). It shows as not delivered in `/checkin list`."
	msgTellFailed     = "I couldn't deliver your check-in to %s: Discord kept failing for an hour. It shows as not delivered in `/checkin list`. You could reach out to them directly."
	msgTellDropped    = "Your check-in for %s was due %s, but I was offline for more than 3 days, so I didn't send it that late. You could reach out to them directly."
)

// How each answer is shown, and which guidance topic suits it.
var answers = map[string]struct{ Emoji, Label, Topic string }{
	storage.AnswerGood:  {"💚", "I'm good", "debrief"},
	storage.AnswerCare:  {"💛", "Could use some care", "comfort"},
	storage.AnswerTalk:  {"🧡", "Can we talk?", "communication"},
	storage.AnswerSpace: {"🤍", "I need some space", "space"},
}

// Status words in /checkin list.
var statusWords = map[storage.CheckInStatus]string{
	storage.StatusPending:       "⏳ due %s",
	storage.StatusSending:       "📨 sending",
	storage.StatusSent:          "📬 sent %s, no answer yet",
	storage.StatusAnswered:      "✅ answered",
	storage.StatusFailed:        "⚠️ not delivered (Discord kept failing)",
	storage.StatusUndeliverable: "⚠️ not delivered (their DMs are closed to me)",
	storage.StatusCancelled:     "✖️ cancelled",
	storage.StatusDropped:       "✖️ not sent (too late after downtime, or the link ended)",
}

// Plans.
const (
	descPlan       = "Your personal aftercare plan"
	descPlanEdit   = "Choose what helps you, write notes, and decide who sees it"
	descPlanShow   = "See your plan, or a partner's shared plan"
	descPlanShowU  = "A partner whose shared plan you'd like to see"
	msgPlanTitle   = "Your aftercare plan"
	msgPlanEditTip = "Pick what helps you from the menu (you can pick several), then write notes if you like. Everything saves as you go."
	msgPlanNone    = "You don't have a plan yet. `/plan edit` starts one: there is no single right aftercare, so yours can be whatever helps you."
	msgPlanNoShare = "I don't have a shared plan from %s."
	msgPlanItems   = "What helps"
	msgPlanShared  = "🔓 Shared with your partners"
	msgPlanPrivate = "🔒 Private: only you see it"
	msgPlanPick    = "What helps you after sex or a scene?"
	msgPlanNotesT  = "Your aftercare notes"
	msgPlanTooLong = "%s is %d characters; the limit is %d. Please shorten it and try again."
	msgPlanSaved   = "Saved."
	msgLabelNotes  = "Write notes"
	msgLabelShare  = "Share with my partners"
	msgLabelKeep   = "Keep private"
)

// planItems are the choices of the plan menu, in order: value and label.
var planItems = []struct{ Value, Label string }{
	{"checkin", "A check-in"},
	{"debrief", "Talking it through (debrief)"},
	{"cuddle", "Cuddling"},
	{"massage", "Massage"},
	{"rest", "Resting together"},
	{"shower", "A shower or bath"},
	{"pillow", "Pillow talk"},
	{"water", "Water and a snack"},
	{"warmth", "A blanket or warmth"},
	{"alone", "Quiet time alone"},
	{"reassure", "Words of reassurance"},
	{"nextday", "A message the next day"},
	{"call", "A call or video if we're apart"},
}

// Settings.
const (
	descSettings            = "Your time zone, quiet hours, invitations and follow-ups"
	descSettingsTimezone    = "Your time zone, e.g. Europe/Berlin (start typing to search)"
	descSettingsQuiet       = "Hours when check-ins wait, e.g. 23:00-08:00, or off"
	descSettingsInvitations = "Whether people can send you partner invitations"
	descSettingsFollowups   = "Add follow-ups (1 and 3 days later) to your check-ins by default"

	msgSettingsTitle   = "Your settings"
	msgSettingsSaved   = "Saved."
	msgSettingsTZ      = "Time zone"
	msgSettingsQuiet   = "Quiet hours"
	msgSettingsInvites = "Partner invitations"
	msgSettingsFollow  = "Follow-ups by default"
	msgSettingsHow     = "Change any of these with `/settings` and its options, e.g. `/settings quiet_hours:23:00-08:00`."
	msgOn              = "on"
	msgOff             = "off"
	msgQuietNone       = "none"
	msgBadTimezone     = "I don't know that time zone. Use a name like `Europe/Berlin` or `America/New_York` (start typing to see the list)."
	msgBadQuiet        = "I couldn't read those quiet hours. Use a start and an end like `23:00-08:00` (24-hour clock), or `off`."
)

// Privacy.
const (
	descPrivacy        = "See, export or delete everything Afterglow stores about you"
	msgPrivacyTitle    = "Your data in Afterglow"
	msgPrivacyIntro    = "Afterglow keeps only what its features need, encrypts what you write, and deletes finished check-ins after %d days. It is not a record of consent. Here is what it holds about you now:"
	msgPrivacyNothing  = "Nothing at all."
	msgPrivacyExport   = "Export my data"
	msgPrivacyDelete   = "Delete everything"
	msgDeleteConfirm   = "This deletes your partner links, invitations, the check-ins you sent and received (with their notes and answers), your plan and your settings, at once and for good. Blocks you set are removed too. Your partners are not told. Are you sure?"
	msgDeleteYes       = "Yes, delete everything"
	msgDeleteNo        = "Keep my data"
	msgDeleteDone      = "Done: everything Afterglow stored about you is deleted."
	msgDeleteDMs       = "I also deleted %d message(s) I had sent you."
	msgDeleteDMsFailed = "I couldn't delete %d older message(s) I had sent you."
	msgDeleteNothing   = "There is nothing stored about you any more."
	msgDeleteKept      = "Nothing was deleted."
	msgExportReady     = "Here is everything Afterglow stores about you, as a JSON file. Only you can see this."
	msgExportTooLarge  = "Your export is larger than Discord lets me attach (%d MB). Please ask the people who run this bot for a copy."
	msgExportFileName  = "afterglow-export.json"
	privacyLinePattern = "- %s: %d"
)

// Server setup.
const (
	descServerSetup          = "Set this server's support resources and Afterglow defaults"
	descServerResources      = "How members can reach help here (up to 1,000 characters); \"clear\" removes it"
	descServerCheckins       = "Whether members may start check-ins from this server"
	descServerPublic         = "Whether /aftercare replies are public by default here"
	msgServerOnly            = "This command works in a server, for its admins."
	msgServerNotInstalled    = "I'm not installed in this server, so it has no Afterglow settings. Ask an admin to add me first."
	msgServerNeedsPermission = "You need the Manage Server permission to change Afterglow's settings here."
	msgServerTooLong         = "The resources text is %d characters; the limit is %d. Please shorten it and try again."
	msgServerTitle           = "Afterglow in this server"
	msgServerResources       = "Support resources"
	msgServerNoResources     = "None set: members see a general line about medical and emergency help."
	msgServerCheckins        = "Check-ins from this server"
	msgServerPublic          = "/aftercare replies by default"
	msgServerPublicOn        = "public"
	msgServerPublicOff       = "private"
	msgServerHow             = "Change these with `/server-setup` and its options."

	descAbout    = "What Afterglow is, and how it treats your data"
	msgAboutT    = "About Afterglow"
	msgAbout     = "Afterglow helps people look after each other after sex or a scene: guidance with `/aftercare`, partner links with `/partner`, gentle check-ins by DM with `/checkin`, and your own plan with `/plan`.\n\n**Privacy**: replies are private unless you share them. Afterglow stores only what its features need, encrypts what you write, deletes finished check-ins after a while, and lets you see, export and delete everything with `/privacy`. It is not a record of consent and does not give medical advice.\n\n**Version**: %s\n**Report a problem**: %s"
	issueTracker = "https://github.com/afterglow-bot/afterglow/issues"
)
