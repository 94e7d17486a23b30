package e2e

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dt "github.com/afterglow-bot/afterglow/internal/discordtest"
	"github.com/afterglow-bot/afterglow/storage"
)

// `afterglow backup` beside a running bot that is delivering: the copy opens with the key
// and holds, as sent, every check-in the database recorded as sent before the backup began.
// The bot's instance lock stays the bot's: the backup runs while it is held.
func TestBackupDuringDeliveryHoldsEveryConfirmedCheckIn(t *testing.T) {
	t.Parallel()
	const pairs, perPair = 10, 30
	r := newFaultRig(t, dt.Options{}, pairs, perPair)
	r.srv.SetLatency(messagesRoute, 20*time.Millisecond) // delivery lasts a few seconds
	p := r.start()
	r.waitDMs(p, 30)

	live := openE2EDB(t, r.dbPath())
	var confirmed []int64
	for _, c := range r.checkIns(live) {
		if c.Status == storage.StatusSent {
			confirmed = append(confirmed, c.ID)
		}
	}
	live.Close()
	if len(confirmed) == 0 || len(confirmed) == pairs*perPair {
		t.Fatalf("%d of %d check-ins sent when the backup began: not during delivery", len(confirmed), pairs*perPair)
	}

	dest := filepath.Join(t.TempDir(), "backup.db")
	cmd := exec.Command(afterglowBinary(t), "backup", dest)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "keep the key with it") || strings.Contains(string(out), e2eKey) {
		t.Fatalf("backup output lacks the key reminder, or prints the key:\n%s", out)
	}
	if info, err := os.Stat(dest); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, info.Mode())
	}

	key, _ := hex.DecodeString(e2eKey)
	copy, err := storage.Open(context.Background(), dest, key)
	if err != nil {
		t.Fatalf("the backup does not open with the key: %v", err)
	}
	defer copy.Close()
	for _, id := range confirmed {
		c, err := copy.CheckIn(context.Background(), id)
		if err != nil || c.Status != storage.StatusSent {
			t.Fatalf("check-in %d, sent before the backup: in the backup %v, status %q", id, err, c.Status)
		}
	}
	r.waitSettled(p, pairs*perPair, 30*time.Second)
	stopCleanly(t, p)
	r.verify(p)
}
