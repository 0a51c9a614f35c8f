-- Purpose: API keys for machine clients (CI jobs, integrations). The key is
-- shown once; the database keeps its SHA-256 and a short prefix that finds the
-- row and lets the owner recognise it. Scopes limit what a key may do, and a
-- key can expire or be revoked without deleting its history.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.api_keys, function(t)
      t:increments(COL.api_keys.id)
      t:integer(COL.api_keys.user_id):notNullable()
        :references(COL.users.id):inTable(T.users):onDelete("CASCADE")
      t:string(COL.api_keys.name, 100):notNullable()
      t:string(COL.api_keys.prefix, 16):notNullable():unique()
      t:string(COL.api_keys.key_hash, 64):notNullable():unique()
      -- A jsonb array, so a new scope needs no migration.
      t:jsonb(COL.api_keys.scopes):notNullable():defaultTo("[]")
      t:timestamp(COL.api_keys.expires_at):nullable()
      t:timestamp(COL.api_keys.last_used_at):nullable()
      t:timestamp(COL.api_keys.revoked_at):nullable()
      t:timestamps(true, true)
      -- Two keys of one owner with the same label would be confusing in the UI;
      -- the unique index also serves "list one owner's keys" (leading column).
      t:unique({ COL.api_keys.user_id, COL.api_keys.name })
    end)
  end,

  down = function(knex)
    knex.schema:dropTable(T.api_keys)
  end,
}
