-- Purpose: the accounts and the permission model every other table hangs off.
-- `users` are the people who sign in (login by e-mail, so the e-mail is unique);
-- `roles` are named permission sets; `user_roles` links them many-to-many.
-- Deleting a user removes their role links (CASCADE); deleting a role that is
-- still granted is refused (RESTRICT), so nobody loses "admin" by accident.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.users, function(t)
      t:increments(COL.users.id)
      -- 320 = the longest valid address (64 local part + @ + 255 domain).
      t:string(COL.users.email, 320):notNullable():unique()
      t:string(COL.users.display_name, 200):notNullable()
      t:text(COL.users.password_hash):nullable()
      t:enu(COL.users.status, C.enums.user_status, { useNative = true, enumName = C.types.user_status })
        :notNullable()
        :defaultTo(C.values.user_status.invited)
      t:jsonb(COL.users.preferences):notNullable():defaultTo("{}")
      t:timestamps(true, true)
      -- Sign-in looks e-mails up lower-cased; storing them so keeps the unique
      -- constraint case-insensitive without a functional index.
      t:check("?? = lower(??)", { COL.users.email, COL.users.email }, "users_email_lowercase")
    end)

    knex.schema:createTable(T.roles, function(t)
      t:increments(COL.roles.id)
      t:string(COL.roles.name, 64):notNullable():unique()
      t:text(COL.roles.description):notNullable():defaultTo("")
      t:jsonb(COL.roles.permissions):notNullable():defaultTo("[]")
      t:boolean(COL.roles.is_system):notNullable():defaultTo(false)
      t:timestamps(true, true)
    end)

    knex.schema:createTable(T.user_roles, function(t)
      t:integer(COL.user_roles.user_id):notNullable()
      t:integer(COL.user_roles.role_id):notNullable()
      t:integer(COL.user_roles.granted_by):nullable()
      t:timestamp(COL.user_roles.granted_at):notNullable():defaultTo(knex.fn.now())
      -- The primary key serves "roles of a user"; the index serves "users with a role".
      t:primary({ COL.user_roles.user_id, COL.user_roles.role_id })
      t:index({ COL.user_roles.role_id })
      t:foreign(COL.user_roles.user_id):references(COL.users.id):inTable(T.users):onDelete("CASCADE")
      t:foreign(COL.user_roles.role_id):references(COL.roles.id):inTable(T.roles):onDelete("RESTRICT")
      t:foreign(COL.user_roles.granted_by):references(COL.users.id):inTable(T.users):onDelete("SET NULL")
    end)
  end,

  down = function(knex)
    knex.schema:dropTable(T.user_roles)
    knex.schema:dropTable(T.roles)
    knex.schema:dropTable(T.users)
    -- Dropping a table never drops its native enum type (as in Knex).
    knex.schema:raw("DROP TYPE ??", { C.types.user_status })
  end,
}
