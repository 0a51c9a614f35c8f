-- Purpose: the built-in roles every Vectra installation needs before anyone
-- can sign in. Idempotent: an existing role keeps its id (so user links stay)
-- and gets the current description and permissions; custom roles created at
-- run time are left alone.
local C = require("constants")
local T, COL, V = C.tables, C.columns, C.values

-- Permissions are a jsonb array; a Lua array table is bound as JSON.
local roles = {
  {
    [COL.roles.name] = V.user_role.admin,
    [COL.roles.description] = "Full access, including users, roles, settings and API keys.",
    [COL.roles.permissions] = { "*" },
    [COL.roles.is_system] = true,
  },
  {
    [COL.roles.name] = V.user_role.editor,
    [COL.roles.description] = "Creates and changes content; cannot manage users or settings.",
    [COL.roles.permissions] = { "content.read", "content.write", "api_keys.own" },
    [COL.roles.is_system] = true,
  },
  {
    [COL.roles.name] = V.user_role.viewer,
    [COL.roles.description] = "Reads content only.",
    [COL.roles.permissions] = { "content.read" },
    [COL.roles.is_system] = true,
  },
}

return {
  seed = function(knex)
    knex(T.roles)
      :insert(roles)
      :onConflict(COL.roles.name)
      :merge({ COL.roles.description, COL.roles.permissions, COL.roles.is_system })
      :run()
  end,
}
