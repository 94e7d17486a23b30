package bot

import "github.com/afterglow-bot/afterglow/commands"

// Router exposes the command router.
func (b *Bot) Router() *commands.Router { return b.router }

// HTTPAddr is the address the health and metrics server listens on while Run serves it;
// empty when http.listen is off or the server is not up.
func (b *Bot) HTTPAddr() string {
	addr, _ := b.httpAddr.Load().(string)
	return addr
}
