package discordtest

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TimeInvocations must report what the bot took, as Discord and as the caller see it: a bot
// that waits 5 ms before answering can never have answered faster, and the caller, who
// also waits for the stand-in to check each callback, always sees longer than Discord.
func TestTimeInvocations(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	const think = 5 * time.Millisecond
	dg := newSession(t, srv)
	dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		time.Sleep(think)
		_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
		})
	})
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dg.Close() })

	res := testing.Benchmark(func(b *testing.B) {
		srv.TimeInvocations(b, func() Interaction { return srv.SlashCommand(User{ID: "200000000000000001"}, Where{}, "ping") })
	})
	if res.N == 0 {
		t.Fatal("the benchmark failed")
	}
	answer50, answer99 := res.Extra["answer-p50-µs"], res.Extra["answer-p99-µs"]
	round50, round99 := res.Extra["roundtrip-p50-µs"], res.Extra["roundtrip-p99-µs"]
	if answer50 < float64(think.Microseconds()) || answer99 < answer50 || round50 <= answer50 || round99 < round50 {
		t.Fatalf("over %d invocations: answer p50 %v µs, p99 %v µs; roundtrip p50 %v µs, p99 %v µs",
			res.N, answer50, answer99, round50, round99)
	}
}
