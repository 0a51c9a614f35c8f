-- Purpose: TODO describe why this migration exists
local C = require("constants")
local T, COL = C.tables, C.columns

-- Write the Purpose line above before anything else: what the server needs
-- that the schema cannot do yet. `vectra-db lint` reports this file until the
-- TODO is replaced. Table and column names come from lua/constants.lua (add
-- new ones there first); schema calls run at once, queries need `:run()`.
return {
  ---@param knex Knex
  up = function(knex)
    -- knex.schema:createTable(T.widgets, function(t)
    --   t:increments(COL.widgets.id)
    --   t:string(COL.widgets.name, 100):notNullable():unique()
    --   t:timestamps(true, true)
    -- end)
  end,

  ---@param knex Knex
  down = function(knex)
    -- Undo exactly what `up` did, newest first (and `DROP TYPE` native enums):
    -- knex.schema:dropTable(T.widgets)
  end,

  -- Only for statements PostgreSQL refuses inside a transaction
  -- (e.g. CREATE INDEX CONCURRENTLY); such a migration cannot be dry-run.
  -- config = { transaction = false },
  -- How long each statement may wait for a lock / run (default: the
  -- environment's `statement_lock_timeout` / `statement_timeout`):
  -- config = { lockTimeout = "5s", statementTimeout = "10min" },
}
