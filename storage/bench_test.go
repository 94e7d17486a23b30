package storage

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDeliveryQueriesUseIndexes checks the plans of the delivery loop's queries, so they stay
// fast with a million pending rows without seeding a million rows in every test run.
func TestDeliveryQueriesUseIndexes(t *testing.T) {
	sqliteOnly(t) // EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's plans are measured by the benchmarks
	db := openTest(t)
	selectWhere := "SELECT " + checkInColumns + " FROM checkins WHERE "
	for _, q := range []struct {
		query, index string
		args         []any
	}{
		{nextDueQuery, "checkins_due", nil},
		{selectWhere + duePendingWhere, "checkins_due", []any{1, 10}},
		{selectWhere + expiredLeasesWhere, "checkins_due", []any{1, 10}},
	} {
		plan := queryPlan(t, db, q.query, q.args...)
		if !strings.Contains(plan, q.index) {
			t.Errorf("plan of %q does not use %s:\n%s", q.query, q.index, plan)
		}
		if q.query == selectWhere+duePendingWhere && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("due check-ins are sorted instead of read in index order:\n%s", plan)
		}
		if strings.Contains(plan, "SCAN checkins") {
			t.Errorf("plan of %q scans the table:\n%s", q.query, plan)
		}
	}
}

func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.sql.Query("EXPLAIN QUERY PLAN "+query, args...)
	must(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		must(t, rows.Scan(&id, &parent, &unused, &detail))
		lines = append(lines, detail)
	}
	must(t, rows.Err())
	return strings.Join(lines, "\n")
}

// seedPending stores n pending check-ins in one transaction, due one second apart from start.
func seedPending(b *testing.B, db *DB, n int, start time.Time) {
	b.Helper()
	if db.pg {
		// One statement: a million round trips would take minutes. The rows are the same.
		_, err := db.sql.Exec(`INSERT INTO checkins (sender_id, recipient_id, guild_id, due_at, next_attempt_at, status, created_at, updated_at)
			SELECT (ARRAY[?1, ?2, ?3, ?4])[i % 4 + 1], (ARRAY[?1, ?2, ?3, ?4])[(i + 1) % 4 + 1], '',
				CAST(?5 AS BIGINT) + i * 1000, CAST(?5 AS BIGINT) + i * 1000, 'pending', CAST(?6 AS BIGINT), CAST(?6 AS BIGINT)
			FROM generate_series(0, ?7 - 1) AS i`, alice, bob, carol, dave, millis(start), millis(t0), n)
		must(b, err)
		_, err = db.sql.Exec("ANALYZE checkins") // as autovacuum would soon after
		must(b, err)
		return
	}
	tx, err := db.sql.Begin()
	must(b, err)
	stmt, err := tx.Prepare(`INSERT INTO checkins (sender_id, recipient_id, guild_id, due_at, next_attempt_at, status, created_at, updated_at)
		VALUES (?, ?, '', ?, ?, 'pending', ?, ?)`)
	must(b, err)
	senders := []string{alice, bob, carol, dave}
	for i := range n {
		due := millis(start.Add(time.Duration(i) * time.Second))
		_, err := stmt.Exec(senders[i%4], senders[(i+1)%4], due, due, millis(t0), millis(t0))
		must(b, err)
	}
	must(b, stmt.Close())
	must(b, tx.Commit())
}

const benchRows = 1_000_000

// BenchmarkNextDue measures the delivery loop's "when next?" query over a million pending rows.
// It must stay well under a millisecond.
func BenchmarkNextDue(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million rows")
	}
	ctx := context.Background()
	db := openTest(b)
	seedPending(b, db, benchRows, t0)
	for b.Loop() {
		next, ok, err := db.NextDue(ctx)
		if err != nil || !ok || !next.Equal(t0) {
			b.Fatalf("NextDue = %v, %v, %v", next, ok, err)
		}
	}
}

// BenchmarkClaimDue measures claiming about ten due rows at a time among a million pending ones.
func BenchmarkClaimDue(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million rows")
	}
	ctx := context.Background()
	db := openTest(b)
	seedPending(b, db, benchRows, t0)
	now := t0
	for b.Loop() {
		now = now.Add(10 * time.Second) // ten more rows come due each round
		claimed, err := db.ClaimDue(ctx, now, time.Minute, 10)
		if err != nil || len(claimed) == 0 {
			b.Fatalf("ClaimDue claimed %d: %v", len(claimed), err)
		}
		// Settle them as the delivery loop would, so rows being sent stay few, as in real use.
		b.StopTimer()
		for _, c := range claimed {
			must(b, db.MarkSent(ctx, c.ID, "c", "m", false, now))
		}
		b.StartTimer()
	}
}
