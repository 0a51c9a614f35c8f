-- Purpose: typed key/value settings the server reads at start-up and admins
-- change at run time. `type` says how to read the jsonb `value`; a NULL
-- `value` means "use `default_value`", which the settings seed owns and
-- refreshes on every deploy without touching what an admin chose.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.settings, function(t)
      t:string(COL.settings.key, 128):primary()
      t:enu(COL.settings.type, C.enums.setting_type, { useNative = true, enumName = C.types.setting_type })
        :notNullable()
      t:jsonb(COL.settings.value):nullable()
      t:jsonb(COL.settings.default_value):notNullable()
      t:text(COL.settings.description):notNullable():defaultTo("")
      t:boolean(COL.settings.is_secret):notNullable():defaultTo(false)
      -- Who changed it last; kept (as NULL) when that user is deleted.
      t:integer(COL.settings.updated_by):nullable()
        :references(COL.users.id):inTable(T.users):onDelete("SET NULL")
      t:timestamps(true, true)
    end)
  end,

  down = function(knex)
    knex.schema:dropTable(T.settings)
    knex.schema:raw("DROP TYPE ??", { C.types.setting_type })
  end,
}
