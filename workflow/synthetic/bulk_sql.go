package synthetic

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// bulkTables are the tables a synthetic seed writes millions of rows to.
var bulkTables = pq.StringArray{"cases", "assignments", "events"}

// withoutSecondaryIndexes runs fn with the bulk tables' secondary indexes
// and foreign keys dropped, then recreates them from their own definitions
// as the catalog held them. Building an index once over ten million rows is
// several times faster than maintaining it row by row, and a foreign key is
// checked with one join instead of one lookup per row. It is all one
// transaction: a failure leaves the schema as it was.
func withoutSecondaryIndexes(ctx context.Context, tx *sqlx.Tx, fn func() error) error {
	var indexes []struct {
		Name string `db:"indexname"`
		Def  string `db:"indexdef"`
	}
	err := tx.SelectContext(ctx, &indexes, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = ANY($1)
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`, bulkTables)
	if err != nil {
		return err
	}
	var foreignKeys []struct {
		Table string `db:"tbl"`
		Name  string `db:"conname"`
		Def   string `db:"def"`
	}
	err = tx.SelectContext(ctx, &foreignKeys, `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
		FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)`, bulkTables)
	if err != nil {
		return err
	}
	for _, fk := range foreignKeys {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`, pq.QuoteIdentifier(fk.Table), pq.QuoteIdentifier(fk.Name))); err != nil {
			return err
		}
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+pq.QuoteIdentifier(ix.Name)); err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix.Def); err != nil {
			return err
		}
	}
	for _, fk := range foreignKeys {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s %s`, pq.QuoteIdentifier(fk.Table), pq.QuoteIdentifier(fk.Name), fk.Def)); err != nil {
			return err
		}
	}
	return nil
}
