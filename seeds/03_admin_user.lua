-- Purpose: the first administrator, so a fresh installation can be signed
-- into. No secret lives in the repository: the e-mail comes from
-- VECTRA_ADMIN_EMAIL and the password hash (argon2id or bcrypt, never a plain
-- password) from VECTRA_ADMIN_PASSWORD_HASH. Without the e-mail the seed does
-- nothing; without the hash the account is created as "invited" with no
-- password, to be completed through the password-reset flow. An existing
-- account is never modified, only given the admin role if it lacks it.
local C = require("constants")
local T, COL, V = C.tables, C.columns, C.values

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return nil
  end
  return value
end

return {
  seed = function(knex)
    local email = env("VECTRA_ADMIN_EMAIL")
    if email == nil then
      print("admin account skipped: VECTRA_ADMIN_EMAIL is not set")
      return
    end
    email = email:lower()

    local password_hash = env("VECTRA_ADMIN_PASSWORD_HASH")
    if password_hash ~= nil and not (password_hash:match("^%$argon2") or password_hash:match("^%$2[aby]%$")) then
      error("VECTRA_ADMIN_PASSWORD_HASH must be an argon2 or bcrypt hash (`$argon2id$…`, `$2b$…`), not a password")
    end

    knex(T.users)
      :insert({
        [COL.users.email] = email,
        [COL.users.display_name] = env("VECTRA_ADMIN_NAME") or "Administrator",
        [COL.users.password_hash] = password_hash or knex.null,
        [COL.users.status] = password_hash and V.user_status.active or V.user_status.invited,
      })
      :onConflict(COL.users.email)
      :ignore()
      :run()

    local user = knex(T.users):where(COL.users.email, email):first(COL.users.id):run()
    local role = knex(T.roles):where(COL.roles.name, V.user_role.admin):first(COL.roles.id):run()
    if user == nil or role == nil then
      error("admin account: user or `admin` role missing after insert (did 01_roles.lua run?)")
    end

    knex(T.user_roles)
      :insert({
        [COL.user_roles.user_id] = user[COL.users.id],
        [COL.user_roles.role_id] = role[COL.roles.id],
      })
      :onConflict({ COL.user_roles.user_id, COL.user_roles.role_id })
      :ignore()
      :run()
  end,
}
