-- Purpose: brute-force protection and "inactive accounts" reporting, added
-- after the first release. Sign-in now counts consecutive failures and locks
-- the account for a while; the last successful sign-in is recorded and
-- indexed so admins can list accounts nobody has used for months.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:alterTable(T.users, function(t)
      t:timestamp(COL.users.last_login_at):nullable()
      -- NOT NULL with a default fills existing rows with 0 in the same statement.
      t:integer(COL.users.failed_login_attempts):notNullable():defaultTo(0)
      t:timestamp(COL.users.locked_until):nullable()
      t:index({ COL.users.last_login_at })
    end)
  end,

  down = function(knex)
    -- Index first, in its own statement: dropping the column would drop it too,
    -- and a later DROP INDEX would then fail.
    knex.schema:alterTable(T.users, function(t)
      t:dropIndex({ COL.users.last_login_at })
    end)
    knex.schema:alterTable(T.users, function(t)
      t:dropColumns(COL.users.last_login_at, COL.users.failed_login_attempts, COL.users.locked_until)
    end)
  end,
}
