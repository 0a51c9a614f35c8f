//! `schema:dump`'s TypeScript against the real toolchain (issue 13,
//! acceptance 3): `typescript`, `zod` 4, `pg` and `knex` from npm compile the
//! generated files with `tsc --strict` together with a usage file (Knex's
//! typed `knex("users")`, `z.infer` of every schema equal to its interface),
//! then node-postgres reads every row of every table of a set-up database and
//! each is parsed with its generated row schema.
//!
//! The packages are installed once into `target/npm-schema/` (git-ignored)
//! and reused while their versions stay the same. No npm means a failed test,
//! never a skipped one.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::project::{run_command, Output, Project};
use common::TestDb;

/// Exact versions, so a run is reproducible; the stamp file holds this text.
const PACKAGE_JSON: &str = r#"{
  "private": true,
  "name": "vectra-schema-check",
  "dependencies": {
    "@types/node": "20.19.43",
    "@types/pg": "8.23.1",
    "knex": "3.3.0",
    "pg": "8.23.1",
    "typescript": "5.9.3",
    "zod": "4.6.7"
  }
}
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Installs the packages (once) and returns their `node_modules`.
fn node_modules() -> PathBuf {
    let dir = repo().join("target/npm-schema");
    let modules = dir.join("node_modules");
    let stamp = modules.join(".vectra-stamp");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(PACKAGE_JSON) {
        return modules;
    }
    std::fs::create_dir_all(&dir).expect("create target/npm-schema");
    std::fs::write(dir.join("package.json"), PACKAGE_JSON).expect("write package.json");
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            "--loglevel=error",
            "--fetch-retries=2",
            "--fetch-timeout=60000",
        ])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run npm (Node.js 20 and npm are required): {e}"));
    assert!(
        out.status.success(),
        "npm install failed: is the npm registry reachable? This test needs it and does not skip.\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp, PACKAGE_JSON).expect("write the install stamp");
    modules
}

fn node(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("node");
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd)
}

/// One of every type the mapping table names, with values in every column.
const KITCHEN_SINK: &str = r#"-- Purpose: a table of every mapped type, for the TypeScript test.
return {
  up = function(knex)
    knex.schema:raw([[
      create type mood as enum ('happy', 'sad');
      create domain positive_int as integer check (value > 0);
      create table kitchen_sink (
        id integer generated always as identity primary key,
        small smallint not null,
        big bigint not null,
        exact numeric(12, 2) not null,
        real_num real not null,
        double_num double precision not null,
        flag boolean not null,
        body text not null,
        short varchar(10) not null,
        fixed char(3) not null,
        ident uuid not null,
        day date not null,
        at timestamp not null,
        at_tz timestamptz not null,
        clock time not null,
        span interval not null,
        doc json not null,
        docb jsonb not null,
        bytes bytea not null,
        addr inet not null,
        spot point not null,
        ring circle not null,
        ints integer[] not null,
        bigs bigint[] not null,
        texts text[] not null,
        exacts numeric[] not null,
        times timestamptz[] not null,
        days date[] not null,
        docs jsonb[] not null,
        feeling mood not null,
        feelings mood[] not null,
        span_range int4range not null,
        positive positive_int not null,
        doubled integer generated always as (small * 2) stored,
        maybe text,
        "Mixed Case" text default 'x'
      );
      insert into kitchen_sink (small, big, exact, real_num, double_num, flag, body, short, fixed,
        ident, day, at, at_tz, clock, span, doc, docb, bytes, addr, spot, ring, ints, bigs, texts,
        exacts, times, days, docs, feeling, feelings, span_range, positive, maybe)
      values
        (1, 9007199254740993, 12.34, 1.5, 2.25, true, 'body', 'short', 'abc',
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-02', '2024-01-02 03:04:05',
         '2024-01-02 03:04:05+00', '12:00', '1 day 2 hours', '{"a": [1, "b"]}', '[1, {"c": null}]',
         '\x00ff', '10.0.0.1', '(1,2)', '<(1,2),3>', '{1,2}', '{9007199254740993}', '{a,b}',
         '{1.5,2.25}', '{"2024-01-02 03:04:05+00"}', '{2024-01-02}', ARRAY['{"x": 1}'::jsonb],
         'happy', '{happy,sad}', '[1,5)', 7, null),
        (2, -1, 0, 0, 0, false, '', '', 'xyz', '00000000-0000-0000-0000-000000000000',
         '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59+00', '00:00', '0',
         'null', '"text"', '\x', '::1', '(0,0)', '<(0,0),1>', '{}', '{}', '{}', '{}', '{}', '{}',
         '{}', 'sad', '{}', 'empty', 1, 'maybe');
    ]])
  end,
  down = function(knex)
    knex.schema:raw("drop table kitchen_sink; drop domain positive_int; drop type mood")
  end,
}
"#;

/// Rows for the tables the repository's seeds leave empty.
const SAMPLE_ROWS: &str = r#"-- Purpose: a row in every table the repository's seeds leave empty.
return {
  seed = function(knex)
    knex.raw([[
      insert into refresh_tokens (user_id, token_hash, family_id, user_agent, ip_address, expires_at)
        select id, repeat('a', 64), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'test', '127.0.0.1', now() from users;
      insert into api_keys (user_id, name, prefix, key_hash, scopes)
        select id, 'ci', 'vk_test', repeat('b', 64), '["read"]' from users;
      insert into audit_log (actor_type, actor_user_id, action, target_type, target_id, ip_address, metadata)
        select 'user', id, 'user.login', 'user', id::text, '::1', '{"ok": true}' from users;
    ]]):run()
  end,
}
"#;

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "target": "ES2022",
    "module": "node16",
    "esModuleInterop": true,
    "skipLibCheck": true,
    "types": ["node"],
    "rootDir": ".",
    "outDir": "build"
  },
  "files": ["schemas/types.ts", "schemas/zod.ts", "schemas/constants.ts", "usage.ts", "check.ts"]
}
"#;

/// Type-level checks: every row and insert schema infers exactly its
/// interface, and Knex's own typings accept and reject what they should.
const USAGE_TS: &str = r#"import type { Knex } from "knex";
import { z } from "zod";
import type * as T from "./schemas/types";
import { insertSchemas, moodSchema, rowSchemas, userStatusSchema } from "./schemas/zod";
import { C, columns, enums, tables } from "./schemas/constants";

declare module "knex/types/tables" {
  interface Tables extends T.Tables {}
}

type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type AllTrue<R> = { [K in keyof R]: true };

type RowsMatch = { [K in keyof T.Tables]: Equals<z.infer<(typeof rowSchemas)[K]>, T.Tables[K]["base"]> };
type InsertsMatch = { [K in keyof T.Tables]: Equals<z.infer<(typeof insertSchemas)[K]>, T.Tables[K]["insert"]> };
export const rowsMatch: AllTrue<RowsMatch> = null as unknown as RowsMatch;
export const insertsMatch: AllTrue<InsertsMatch> = null as unknown as InsertsMatch;
export const sameTables: Equals<keyof typeof rowSchemas, keyof T.Tables> = true;
export const enumMatches: Equals<z.infer<typeof userStatusSchema>, T.UserStatus> = true;
export const moodMatches: Equals<z.infer<typeof moodSchema>, T.Mood> = true;

// The node-postgres defaults, spelled out.
export const sinkTypes: [
  Equals<T.KitchenSinkRow["big"], string>,
  Equals<T.KitchenSinkRow["exact"], string>,
  Equals<T.KitchenSinkRow["at_tz"], Date>,
  Equals<T.KitchenSinkRow["day"], Date>,
  Equals<T.KitchenSinkRow["docb"], unknown>,
  Equals<T.KitchenSinkRow["bytes"], Buffer>,
  Equals<T.KitchenSinkRow["ints"], number[]>,
  Equals<T.KitchenSinkRow["bigs"], string[]>,
  Equals<T.KitchenSinkRow["feeling"], T.Mood>,
  Equals<T.KitchenSinkRow["feelings"], string>,
  Equals<T.KitchenSinkRow["positive"], number>,
  Equals<T.KitchenSinkRow["maybe"], string | null>,
  Equals<keyof T.KitchenSinkRow & ("id" | "doubled"), "id" | "doubled">,
  Equals<keyof T.KitchenSinkInsert & ("id" | "doubled"), never>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// Names from lua/constants.lua, as literal types.
export const usersName: "users" = tables.users;
export const emailName: "email" = columns.users.email;
export const firstStatus: T.UserStatus = enums.user_status[0];
export const sameObject: typeof C.tables = tables;

// Knex, typed through the `Tables` augmentation (compiled, never run).
export async function typedQueries(db: Knex): Promise<void> {
  const user = await db("users").where({ email: "a@example.com" }).first();
  if (user) {
    const status: T.UserStatus = user.status;
    const created: Date = user.created_at;
    void status;
    void created;
  }
  await db("users").insert({ email: "a@example.com", display_name: "A" });
  // @ts-expect-error display_name is required
  await db("users").insert({ email: "a@example.com" });
  await db("users").where({ id: 1 }).update({ failed_login_attempts: 0 });
  const names: string[] = await db(tables.roles).pluck(columns.roles.name);
  void names;
  const sinks = await db("kitchen_sink").select("big", "day");
  const big: string = sinks[0].big;
  const day: Date = sinks[0].day;
  void big;
  void day;
}
"#;

/// Reads every row of every table and parses it with its row schema
/// (strictly: a column the schema lacks is an error too).
const CHECK_TS: &str = r#"import { Client } from "pg";
import { z } from "zod";
import { rowSchemas } from "./schemas/zod";

async function main(): Promise<void> {
  const url = process.env.CHECK_DATABASE_URL;
  const client = new Client(url ? { connectionString: url } : {});
  await client.connect();
  const counts: Record<string, number> = {};
  try {
    for (const [key, schema] of Object.entries(rowSchemas)) {
      const [namespace, table] = key.includes(".") ? key.split(".", 2) : ["public", key];
      const { rows } = await client.query(`select * from "${namespace}"."${table}"`);
      const strict = z.strictObject((schema as unknown as z.ZodObject).shape);
      rows.forEach((row, i) => {
        const parsed = strict.safeParse(row);
        if (!parsed.success) {
          throw new Error(`${key} row ${i}: ${JSON.stringify(parsed.error.issues)}\n${JSON.stringify(row)}`);
        }
      });
      counts[key] = rows.length;
    }
    // The schemas are not vacuous: a wrong value is refused.
    const { rows } = await client.query("select * from users limit 1");
    if (rowSchemas.users.safeParse({ ...rows[0], status: "nope" }).success) {
      throw new Error("usersRowSchema accepted status = 'nope'");
    }
  } finally {
    await client.end();
  }
  console.log(JSON.stringify(counts));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
"#;

#[test]
fn generated_typescript_compiles_strictly_and_parses_every_row_node_postgres_returns() {
    let modules = node_modules();
    let db = TestDb::new("dump_typescript");
    let p = Project::new(&db);
    let repo = repo();
    p.config(&format!(
        "[defaults]\nmigrations = [\"{}\", \"extra\"]\nseeds = [\"{}\", \"extra_seeds\"]\nlua_path = [\"{}\"]\n\n\
         [environments.development]\nconnection = \"{}\"\n",
        repo.join("migrations").display(),
        repo.join("seeds").display(),
        repo.join("lua").display(),
        db.url
    ));
    p.file("extra/20990101000000_kitchen_sink.lua", KITCHEN_SINK);
    p.file("extra_seeds/99_sample_rows.lua", SAMPLE_ROWS);
    p.run_env(
        &["db:setup"],
        &[("VECTRA_ADMIN_EMAIL", "admin@example.com")],
    )
    .ok();
    p.run(&["schema:dump"]).ok();
    p.file("tsconfig.json", TSCONFIG)
        .file("usage.ts", USAGE_TS)
        .file("check.ts", CHECK_TS);
    std::os::unix::fs::symlink(&modules, p.path("node_modules")).expect("link node_modules");
    let tsc = modules.join("typescript/bin/tsc");
    let tsc = tsc.to_str().expect("utf-8 path");

    node(p.root(), &[tsc, "-p", "tsconfig.json", "--strict"], &[]).ok();

    let mut env = vec![];
    match std::env::var("VECTRA_TEST_ADMIN_URL") {
        Ok(_) => env.push(("CHECK_DATABASE_URL", db.url.clone())),
        Err(_) => {
            let user = Command::new("id").arg("-un").output().expect("run id -un");
            let user = String::from_utf8_lossy(&user.stdout).trim().to_string();
            env.push(("PGHOST", "/var/run/postgresql".to_string()));
            env.push(("PGUSER", user));
            env.push(("PGDATABASE", db.name.clone()));
        }
    }
    let out = node(p.root(), &["build/check.js"], &env);
    out.ok();
    eprintln!("check.js: {}", out.stdout.trim());
    let counts: serde_json::Value =
        serde_json::from_str(out.stdout.trim()).expect("check.js prints the row counts");
    for (table, min) in [
        ("users", 1),
        ("roles", 3),
        ("user_roles", 1),
        ("settings", 10),
        ("refresh_tokens", 1),
        ("api_keys", 1),
        ("audit_log", 1),
        ("kitchen_sink", 2),
    ] {
        assert!(
            counts[table].as_u64().is_some_and(|n| n >= min),
            "{table}: expected at least {min} rows parsed, got {counts}"
        );
    }
    let tables = db.strings(
        "select count(*) from pg_tables where schemaname = 'public' and tablename not like 'knex_migrations%'",
    );
    assert_eq!(
        counts.as_object().map(|o| o.len().to_string()),
        tables.first().cloned(),
        "not every table was read: {counts}"
    );

    // The equality checks have teeth: a types.ts that disagrees with zod.ts fails to compile.
    let types = p.read("schemas/types.ts");
    p.file(
        "schemas/types.ts",
        &types.replacen("  email: string;", "  email: number;", 1),
    );
    let out = node(p.root(), &[tsc, "-p", "tsconfig.json", "--noEmit"], &[]);
    out.code(2).says(&["usage.ts", "users"]);
}
