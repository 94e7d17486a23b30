package bot

import "net/url"

// invitePermissions is the bot permission bitfield the invite asks for: none. Everything
// Afterglow does needs no permission in a server: it answers interactions (their callbacks
// and follow-ups are the interaction's own, outside channel permissions), and it sends
// check-ins by DM, which no server permission governs. /server-setup checks the caller's
// Manage Server permission from the interaction itself. Asking for nothing means a server
// grants nothing it would have to trust the bot with.
const invitePermissions = "0"

// InviteURL is the link that installs application appID in a server: the bot user with its
// slash commands (scopes bot and applications.commands), as a guild install
// (integration_type 0), asking for no permissions.
func InviteURL(appID string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", invitePermissions)
	q.Set("integration_type", "0")
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
