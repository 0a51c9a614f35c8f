-- Purpose: the one place where the Vectra database's names are spelled. Every
-- table name, column name and enum value used by migrations, seeds and server
-- queries comes from here, so a rename is one edit and a typo is a nil (and a
-- loud error) instead of a silently wrong identifier. `vectra-db lint` reports
-- string literals used as names and points at the constant to use instead.
--
-- Usage:
--   local C = require("constants")
--   local T, COL, V = C.tables, C.columns, C.values
--   knex(T.users):where(COL.users.email, email):first(COL.users.id):run()
--   knex(T.users):join(T.user_roles, C.qualified(T.user_roles, COL.user_roles.user_id), C.qualified(T.users, COL.users.id))
--   t:enu(COL.users.status, C.enums.user_status, { useNative = true, enumName = C.types.user_status })
--
-- Conventions: every key equals the name it stands for (`C.tables.users` is
-- "users", `C.columns.users.email` is "email"), so constants read like the SQL.
-- Names are snake_case, as PostgreSQL folds unquoted identifiers to lower case.
--
-- Editors: each table of columns carries a `---@class VectraColumns.<table>`
-- line, so LuaLS / emmylua flag a misspelt path (`COL.users.nmae`) as an
-- undefined field. Give a new table's columns the same line.

---@class VectraConstants
local C = {}

--- Table names.
---@class VectraTables
C.tables = {
  users = "users",
  roles = "roles",
  user_roles = "user_roles",
  settings = "settings",
  refresh_tokens = "refresh_tokens",
  api_keys = "api_keys",
  audit_log = "audit_log",
}

--- Column names, one table of columns per table (`C.columns.<table>.<column>`).
---@class VectraColumns
C.columns = {
  --- Accounts that can sign in (people, not API clients).
  ---@class VectraColumns.users
  users = {
    id = "id",
    email = "email", -- stored lower-cased; unique; the login name
    display_name = "display_name",
    password_hash = "password_hash", -- argon2id/bcrypt PHC string; NULL until the invite is accepted
    status = "status", -- enum `user_status`
    preferences = "preferences", -- jsonb object of UI preferences
    last_login_at = "last_login_at",
    failed_login_attempts = "failed_login_attempts", -- consecutive failures, reset on success
    locked_until = "locked_until", -- sign-in refused until then (brute-force lockout)
    created_at = "created_at",
    updated_at = "updated_at",
  },

  --- Named sets of permissions; the built-in ones are seeded (`C.enums.user_role`).
  ---@class VectraColumns.roles
  roles = {
    id = "id",
    name = "name", -- unique, e.g. "admin"
    description = "description",
    permissions = "permissions", -- jsonb array of permission strings
    is_system = "is_system", -- built-in roles cannot be deleted or renamed by the server
    created_at = "created_at",
    updated_at = "updated_at",
  },

  --- Which user has which role (many-to-many).
  ---@class VectraColumns.user_roles
  user_roles = {
    user_id = "user_id",
    role_id = "role_id",
    granted_by = "granted_by", -- the user who granted it; NULL for seeds and deleted granters
    granted_at = "granted_at",
  },

  --- Typed server settings: `value` overrides `default_value` when not NULL.
  ---@class VectraColumns.settings
  settings = {
    key = "key", -- primary key, dotted, e.g. "auth.session_ttl_seconds"
    type = "type", -- enum `setting_type`: how to read the jsonb value
    value = "value", -- jsonb; NULL means "use the default"
    default_value = "default_value", -- jsonb; owned by the seed, refreshed on every deploy
    description = "description",
    is_secret = "is_secret", -- hide the value in the admin UI and in logs
    updated_by = "updated_by",
    created_at = "created_at",
    updated_at = "updated_at",
  },

  --- Refresh tokens of signed-in sessions (only a hash is stored).
  ---@class VectraColumns.refresh_tokens
  refresh_tokens = {
    id = "id",
    user_id = "user_id",
    token_hash = "token_hash", -- hex SHA-256 of the token; the lookup key on refresh
    family_id = "family_id", -- uuid shared by a chain of rotated tokens (reuse detection)
    replaced_by_id = "replaced_by_id", -- the token this one was rotated into
    user_agent = "user_agent",
    ip_address = "ip_address",
    expires_at = "expires_at",
    revoked_at = "revoked_at",
    created_at = "created_at",
  },

  --- API keys for machine clients (only a hash is stored).
  ---@class VectraColumns.api_keys
  api_keys = {
    id = "id",
    user_id = "user_id", -- the owner; the key acts with at most the owner's roles
    name = "name", -- a label chosen by the owner
    prefix = "prefix", -- the first characters of the key, shown in the UI and used to find the row
    key_hash = "key_hash", -- hex SHA-256 of the whole key
    scopes = "scopes", -- jsonb array of `C.enums.api_key_scope` values
    expires_at = "expires_at", -- NULL: never expires
    last_used_at = "last_used_at",
    revoked_at = "revoked_at",
    created_at = "created_at",
    updated_at = "updated_at",
  },

  --- Append-only record of security-relevant actions.
  ---@class VectraColumns.audit_log
  audit_log = {
    id = "id",
    actor_type = "actor_type", -- enum `audit_actor_type`
    actor_user_id = "actor_user_id",
    actor_api_key_id = "actor_api_key_id",
    actor_label = "actor_label", -- e-mail or key name at the time, kept after the actor is deleted
    action = "action", -- one of `C.enums.audit_action`, e.g. "user.login"
    target_type = "target_type", -- e.g. "user", "setting"
    target_id = "target_id", -- text, so any primary key fits
    ip_address = "ip_address",
    metadata = "metadata", -- jsonb details (old/new values, reasons)
    created_at = "created_at",
  },
}

--- Names of the native PostgreSQL enum types (`CREATE TYPE ... AS ENUM`).
---@class VectraTypes
C.types = {
  user_status = "user_status",
  setting_type = "setting_type",
  audit_actor_type = "audit_actor_type",
}

--- Enum values, as ordered lists (what `t:enu(...)` takes). A native enum's order
--- is its sort order in PostgreSQL; append new values, never reorder.
C.enums = {
  --- `users.status` (native enum `user_status`).
  user_status = { "invited", "active", "disabled" },
  --- `settings.type` (native enum `setting_type`).
  setting_type = { "string", "integer", "number", "boolean", "json" },
  --- `audit_log.actor_type` (native enum `audit_actor_type`).
  audit_actor_type = { "user", "api_key", "system" },
  --- Names of the built-in roles (rows of `roles`, seeded; more can be added at run time).
  user_role = { "admin", "editor", "viewer" },
  --- Scopes an API key may carry (`api_keys.scopes`, a jsonb array, so adding a scope needs no migration).
  api_key_scope = { "read", "write", "admin" },
  --- Audit actions the server records (`audit_log.action`, text, so adding one needs no migration).
  audit_action = {
    "user.login",
    "user.login_failed",
    "user.logout",
    "user.created",
    "user.updated",
    "user.deleted",
    "role.granted",
    "role.revoked",
    "setting.changed",
    "api_key.created",
    "api_key.revoked",
  },
}

--- The same enum values keyed by themselves, for readable code:
--- `C.values.user_role.admin == "admin"`, `C.values.user_status.active == "active"`.
--- A misspelt value is nil, which fails loudly instead of writing a wrong value.
---@type table<string, table<string, string>>
C.values = {}
for enum_name, list in pairs(C.enums) do
  local keyed = {}
  for _, value in ipairs(list) do
    keyed[value] = value
  end
  C.values[enum_name] = keyed
end

--- `"table.column"` from constants, for a qualified column in a join, a select
--- or a where: `C.qualified(T.users, COL.users.id)` is "users.id". Both parts
--- stay constants (checked by `vectra-db lint` and the editor).
---@param table_name string
---@param column string
---@return string
function C.qualified(table_name, column)
  if table_name == nil or column == nil then
    error("C.qualified(table, column): a part is nil (misspelt constant?)", 2)
  end
  return table_name .. "." .. column
end

return C
