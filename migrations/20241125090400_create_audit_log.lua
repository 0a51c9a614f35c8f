-- Purpose: an append-only audit trail of security-relevant actions (sign-ins,
-- role grants, setting changes, key creation). Rows must outlive the actor, so
-- the actor links are SET NULL on delete and `actor_label` keeps a readable
-- name. Indexed for the admin views: by actor, by target, and by time.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.audit_log, function(t)
      t:bigIncrements(COL.audit_log.id)
      t:enu(COL.audit_log.actor_type, C.enums.audit_actor_type, {
        useNative = true,
        enumName = C.types.audit_actor_type,
      }):notNullable()
      t:integer(COL.audit_log.actor_user_id):nullable()
        :references(COL.users.id):inTable(T.users):onDelete("SET NULL")
      t:integer(COL.audit_log.actor_api_key_id):nullable()
        :references(COL.api_keys.id):inTable(T.api_keys):onDelete("SET NULL")
      t:string(COL.audit_log.actor_label, 320):nullable()
      t:string(COL.audit_log.action, 100):notNullable()
      t:string(COL.audit_log.target_type, 64):nullable()
      t:string(COL.audit_log.target_id, 64):nullable()
      t:specificType(COL.audit_log.ip_address, "inet"):nullable()
      t:jsonb(COL.audit_log.metadata):notNullable():defaultTo("{}")
      t:timestamp(COL.audit_log.created_at):notNullable():defaultTo(knex.fn.now())
      t:index({ COL.audit_log.actor_user_id, COL.audit_log.created_at })
      t:index({ COL.audit_log.target_type, COL.audit_log.target_id })
      t:index({ COL.audit_log.action })
      -- The newest-first listing and the retention purge.
      t:index({ COL.audit_log.created_at })
    end)
  end,

  down = function(knex)
    knex.schema:dropTable(T.audit_log)
    knex.schema:raw("DROP TYPE ??", { C.types.audit_actor_type })
  end,
}
