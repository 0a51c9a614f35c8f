---@meta vectra
-- LuaLS definitions for `require("vectra")`, the helpers Node gave Knex files
-- (JSON, digests, UUIDs, time, number formatting, random bytes, passwords).
-- See docs/lua-api/vectra.md. Not part of the `knex` value.

---@class vectra
local vectra = {}

---@class vectra.json
vectra.json = {}

---JSON text of a value (`JSON.stringify`): a non-empty sequence is an array,
---any other table an object; `knex.null` is `null`.
---@param value any
---@return string
function vectra.json.encode(value) end

---The value of JSON text (`JSON.parse`): integers stay integers; `null` is
---absent from an object and `knex.null` in an array. Invalid JSON is an error.
---@param text string
---@return any
function vectra.json.decode(text) end

---SHA-256 of the bytes of `s`, lower-case hex (64 characters).
---@param s string
---@return string
function vectra.sha256(s) end

---SHA-1 of the bytes of `s`, lower-case hex (40 characters).
---@param s string
---@return string
function vectra.sha1(s) end

---MD5 of the bytes of `s`, lower-case hex (32 characters).
---@param s string
---@return string
function vectra.md5(s) end

---A random UUID (version 4), lower case: `crypto.randomUUID()`.
---@return string
function vectra.uuid() end

---A time-ordered UUID (version 7), lower case.
---@return string
function vectra.uuid7() end

---The current time, ISO-8601 UTC with milliseconds: `new Date().toISOString()`.
---@return string
function vectra.now() end

---JavaScript's `String(x)`: the shortest string that round-trips
---(`0.1 + 0.2` → `"0.30000000000000004"`, `1.0` → `"1"`, `1e21` → `"1e+21"`).
---@param x number
---@return string
function vectra.number(x) end

---`n` bytes (0 to 1024) from the OS random generator, lower-case hex (2n characters).
---@param n integer
---@return string
function vectra.random_hex(n) end

---An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a fresh salt.
---@param plain string
---@return string
function vectra.hash_password(plain) end

---Whether `plain` matches the PHC string `hash`; an unreadable hash is an error.
---@param plain string
---@param hash string
---@return boolean
function vectra.verify_password(plain, hash) end

return vectra
