-- Purpose: the settings the server reads at start-up, with their types and
-- defaults. Idempotent and deploy-safe: a new setting is added, an existing
-- one gets the current type, default and description, and the value an admin
-- chose (`value`) is never touched.
local C = require("constants")
local T, COL, V = C.tables, C.columns, C.values

-- Defaults are written as JSON text because the column is jsonb: the string
-- setting "Vectra" is the JSON string '"Vectra"', the number 3600 is '3600'.
local function setting(key, kind, default_json, description, is_secret)
  return {
    [COL.settings.key] = key,
    [COL.settings.type] = kind,
    [COL.settings.default_value] = default_json,
    [COL.settings.description] = description,
    [COL.settings.is_secret] = is_secret or false,
  }
end

local settings = {
  setting("site.name", V.setting_type.string, '"Vectra"', "Name shown in the UI and in e-mails."),
  setting("site.base_url", V.setting_type.string, '"http://localhost:8080"', "Public URL, used in links sent by e-mail."),
  setting("auth.registration_open", V.setting_type.boolean, "false", "Whether anyone may sign up, or only invited users."),
  setting("auth.access_token_ttl_seconds", V.setting_type.integer, "900", "Lifetime of an access token."),
  setting("auth.refresh_token_ttl_seconds", V.setting_type.integer, "2592000", "Lifetime of a refresh token (30 days)."),
  setting("auth.max_failed_logins", V.setting_type.integer, "5", "Consecutive failed sign-ins before the account is locked."),
  setting("auth.lockout_seconds", V.setting_type.integer, "900", "How long a locked account stays locked."),
  setting("auth.password_min_length", V.setting_type.integer, "12", "Shortest password accepted."),
  setting("api_keys.default_ttl_days", V.setting_type.integer, "365", "Default lifetime of a new API key; 0 means no expiry."),
  setting("audit.retention_days", V.setting_type.integer, "365", "Audit rows older than this are purged."),
  setting("mail.smtp_url", V.setting_type.string, '""', "SMTP server URL; empty disables e-mail.", true),
  setting("ui.default_locale", V.setting_type.string, '"en"', "Locale for users who have not chosen one."),
  setting("ui.supported_locales", V.setting_type.json, '["en", "de", "fr"]', "Locales users may choose from."),
}

return {
  seed = function(knex)
    knex(T.settings)
      :insert(settings)
      :onConflict(COL.settings.key)
      :merge({ COL.settings.type, COL.settings.default_value, COL.settings.description, COL.settings.is_secret })
      :run()
  end,
}
