-- Purpose: sessions. A signed-in client holds a short-lived access token and
-- a refresh token; only the refresh token's SHA-256 is stored, so a database
-- leak does not leak sessions. Rotation links each token to its successor and
-- to a family, so reuse of an old token can revoke the whole family.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.refresh_tokens, function(t)
      t:bigIncrements(COL.refresh_tokens.id)
      t:integer(COL.refresh_tokens.user_id):notNullable()
        :references(COL.users.id):inTable(T.users):onDelete("CASCADE")
      -- Hex SHA-256 (64 characters): the lookup on every refresh.
      t:string(COL.refresh_tokens.token_hash, 64):notNullable():unique()
      t:uuid(COL.refresh_tokens.family_id):notNullable()
      t:bigInteger(COL.refresh_tokens.replaced_by_id):nullable()
        :references(COL.refresh_tokens.id):inTable(T.refresh_tokens):onDelete("SET NULL")
      t:text(COL.refresh_tokens.user_agent):nullable()
      t:specificType(COL.refresh_tokens.ip_address, "inet"):nullable()
      t:timestamp(COL.refresh_tokens.expires_at):notNullable()
      t:timestamp(COL.refresh_tokens.revoked_at):nullable()
      t:timestamp(COL.refresh_tokens.created_at):notNullable():defaultTo(knex.fn.now())
      -- "Sign out everywhere", reuse detection, and the expiry purge job.
      t:index({ COL.refresh_tokens.user_id })
      t:index({ COL.refresh_tokens.family_id })
      t:index({ COL.refresh_tokens.expires_at })
    end)
  end,

  down = function(knex)
    knex.schema:dropTable(T.refresh_tokens)
  end,
}
