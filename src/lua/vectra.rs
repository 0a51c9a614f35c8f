//! `require("vectra")`: the helpers Node gave Knex files (SPEC §7.4) — JSON,
//! digests, UUIDs, ISO time with milliseconds, JavaScript number formatting,
//! random hex and argon2id passwords. Each helper is a thin call into a
//! well-kept crate; nothing here is hand-rolled crypto or formatting.
//!
//! It is preloaded in every state (`package.preload.vectra`), so it needs no
//! file on `lua_path`. It is not part of the knex API catalogue (`crate::api`):
//! its LuaLS definitions are `lua/types/vectra.lua` and its docs
//! `docs/lua-api/vectra.md`, and a test checks both against [`module`].

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use md5::Md5;
use mlua::{Lua, LuaString, Table, Value as LuaValue};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::error::usage_error;
use super::value::{json_of, json_to_lua};

/// The most bytes `vectra.random_hex(n)` hands out in one call.
const MAX_RANDOM_BYTES: i64 = 1024;

/// Makes `require("vectra")` return [`module`].
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let package: Table = lua.globals().get("package")?;
    let preload: Table = package.get("preload")?;
    preload.set("vectra", lua.create_function(|lua, ()| module(lua))?)?;
    Ok(())
}

/// The module table: `vectra.json.{encode,decode}` and the functions below.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let json = lua.create_table()?;
    json.set(
        "encode",
        lua.create_function(|lua, v: LuaValue| {
            let j = json_of(lua, &v, 0)?;
            serde_json::to_string(&j)
                .map_err(|e| usage_error(lua, format!("vectra.json.encode: {e}")))
        })?,
    )?;
    json.set(
        "decode",
        lua.create_function(|lua, s: LuaString| {
            let j: serde_json::Value = serde_json::from_slice(&s.as_bytes())
                .map_err(|e| usage_error(lua, format!("vectra.json.decode: invalid JSON: {e}")))?;
            json_to_lua(lua, &j)
        })?,
    )?;

    let m = lua.create_table()?;
    m.set("json", json)?;
    m.set(
        "sha256",
        lua.create_function(|_, s: LuaString| Ok(hex_digest::<Sha256>(&s)))?,
    )?;
    m.set(
        "sha1",
        lua.create_function(|_, s: LuaString| Ok(hex_digest::<Sha1>(&s)))?,
    )?;
    m.set(
        "md5",
        lua.create_function(|_, s: LuaString| Ok(hex_digest::<Md5>(&s)))?,
    )?;
    m.set(
        "uuid",
        lua.create_function(|_, ()| Ok(uuid::Uuid::new_v4().to_string()))?,
    )?;
    m.set(
        "uuid7",
        lua.create_function(|_, ()| Ok(uuid::Uuid::now_v7().to_string()))?,
    )?;
    m.set(
        "now",
        lua.create_function(|_, ()| {
            Ok(chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string())
        })?,
    )?;
    m.set(
        "number",
        lua.create_function(|lua, v: LuaValue| number(lua, &v))?,
    )?;
    m.set(
        "random_hex",
        lua.create_function(|lua, n: i64| {
            if !(0..=MAX_RANDOM_BYTES).contains(&n) {
                return Err(usage_error(
                    lua,
                    format!("vectra.random_hex(n) takes a byte count from 0 to {MAX_RANDOM_BYTES}, not {n}"),
                ));
            }
            let bytes = random_bytes(lua, n as usize)?;
            Ok(hex(&bytes))
        })?,
    )?;
    m.set(
        "hash_password",
        lua.create_function(|lua, plain: LuaString| {
            let salt = SaltString::encode_b64(&random_bytes(lua, 16)?)
                .map_err(|e| usage_error(lua, format!("vectra.hash_password: {e}")))?;
            Argon2::default()
                .hash_password(&plain.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| usage_error(lua, format!("vectra.hash_password: {e}")))
        })?,
    )?;
    m.set(
        "verify_password",
        lua.create_function(|lua, (plain, hash): (LuaString, String)| {
            let parsed = PasswordHash::new(&hash).map_err(|e| {
                usage_error(
                    lua,
                    format!("vectra.verify_password: the hash is not a PHC string (`$argon2id$v=19$...`): {e}"),
                )
            })?;
            Ok(Argon2::default()
                .verify_password(&plain.as_bytes(), &parsed)
                .is_ok())
        })?,
    )?;
    Ok(m)
}

/// `vectra.number(x)`: JavaScript's `String(x)`. Lua integers print exactly
/// (JavaScript would round past 2^53; a Lua integer is exact, so keep it).
fn number(lua: &Lua, v: &LuaValue) -> mlua::Result<String> {
    match v {
        LuaValue::Integer(i) => Ok(i.to_string()),
        LuaValue::Number(f) => Ok(ryu_js::Buffer::new().format(*f).to_string()),
        other => Err(usage_error(
            lua,
            format!(
                "vectra.number(x) expects a number, not {}",
                super::describe(other)
            ),
        )),
    }
}

/// Lower-case hex of a digest, as Node's `digest("hex")`.
fn hex_digest<D: Digest>(s: &LuaString) -> String {
    hex(&D::digest(s.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_bytes(lua: &Lua, n: usize) -> mlua::Result<Vec<u8>> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| usage_error(lua, format!("the OS random generator failed: {e}")))?;
    Ok(bytes)
}
