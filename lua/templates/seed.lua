-- Purpose: TODO describe what data this seed provides and why
local C = require("constants")
local T, COL = C.tables, C.columns

-- Write the Purpose line above first; `vectra-db lint` reports this file until
-- the TODO is replaced. Seeds run again on every `seed:run` and `db:setup`, so
-- make them idempotent (upsert with onConflict, never a blind insert). All seed
-- files run in one transaction; queries need `:run()`.
return {
  ---@param knex Knex
  seed = function(knex)
    -- knex(T.widgets)
    --   :insert({ { [COL.widgets.name] = "first" }, { [COL.widgets.name] = "second" } })
    --   :onConflict(COL.widgets.name)
    --   :merge()
    --   :run()
  end,
}
