package storage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yishi-community/yishi/bot"
)

// SchemaKey holds the data format version as decimal ASCII.
const SchemaKey = "meta/schema"

// baseSchema is the first version; migrations[i] upgrades baseSchema+i to
// baseSchema+i+1.
const baseSchema = 1

// migration upgrades the data by one version. apply reads through the store
// and returns the writes; they are committed in one batch together with the
// new version number, so a crash leaves either the old or the new version.
// A migration whose writes exceed one transaction is split (see Commit), so
// migrations must be safe to run again after a crash.
type migration struct {
	name  string
	apply func(s bot.Store) ([]bot.KV, error)
}

// migrations is the ordered upgrade list. Empty: version 1 is current.
var migrations []migration

// SchemaVersion is the data format version this build writes and reads.
func SchemaVersion() int { return baseSchema + len(migrations) }

func (db *DB) ensureSchema(migs []migration) error {
	target := baseSchema + len(migs)
	raw, err := db.Get([]byte(SchemaKey))
	if err != nil {
		return fmt.Errorf("storage: read schema version: %w", err)
	}
	if raw == nil {
		empty := true
		if err := db.Scan(nil, func(k, _ []byte) (bool, error) {
			empty = false
			return false, nil
		}); err != nil {
			return fmt.Errorf("storage: check for existing data: %w", err)
		}
		if !empty || db.readOnly {
			return fmt.Errorf("数据目录 %q 有数据但没有格式版本号（%s），无法确定如何读取 / "+
				"data directory %q has data but no schema version key %q", db.dir, SchemaKey, db.dir, SchemaKey)
		}
		return db.Commit(context.Background(), []bot.KV{schemaKV(target)})
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < baseSchema {
		return fmt.Errorf("数据目录 %q 的格式版本号 %q 无效 / data directory %q has an invalid schema version %q", db.dir, raw, db.dir, raw)
	}
	if v > target {
		return fmt.Errorf("数据目录 %q 的数据格式版本为 %d，比本程序支持的 %d 新，请升级 yishi / "+
			"data directory %q has schema version %d, newer than %d supported by this build; upgrade yishi",
			db.dir, v, target, db.dir, v, target)
	}
	for ; v < target; v++ {
		m := migs[v-baseSchema]
		writes, err := m.apply(db)
		if err != nil {
			return fmt.Errorf("storage: migration %d→%d (%s): %w", v, v+1, m.name, err)
		}
		if err := db.Commit(context.Background(), append(writes, schemaKV(v+1))); err != nil {
			return fmt.Errorf("storage: commit migration %d→%d (%s): %w", v, v+1, m.name, err)
		}
		db.log.Info("migrated data", "from", v, "to", v+1, "migration", m.name)
	}
	return nil
}

func schemaKV(v int) bot.KV {
	return bot.KV{Key: []byte(SchemaKey), Value: []byte(strconv.Itoa(v))}
}
