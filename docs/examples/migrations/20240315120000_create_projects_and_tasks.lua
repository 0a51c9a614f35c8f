-- Purpose: projects and their tasks, ported from the TypeScript migration
-- `20240315120000_create_projects_and_tasks.ts` (docs/porting-from-knex.md,
-- example 1). Same stem, so a database migrated by Knex keeps it applied.
local C = require("constants")
local T, COL = C.tables, C.columns

return {
  up = function(knex)
    knex.schema:createTable(T.projects, function(t)
      t:increments(COL.projects.id)
      t:string(COL.projects.slug, 64):notNullable():unique()
      t:string(COL.projects.name, 200):notNullable()
      t:enu(COL.projects.visibility, C.enums.project_visibility, {
        useNative = true,
        enumName = C.types.project_visibility,
      }):notNullable():defaultTo("private")
      t:jsonb(COL.projects.settings):notNullable():defaultTo("{}")
      t:timestamp(COL.projects.archived_at):nullable()
      t:timestamps(true, true)
    end)

    knex.schema:createTable(T.tasks, function(t)
      t:bigIncrements(COL.tasks.id)
      t:integer(COL.tasks.project_id):notNullable()
        :references(COL.projects.id):inTable(T.projects):onDelete("CASCADE")
      t:string(COL.tasks.title, 300):notNullable()
      t:text(COL.tasks.body)
      t:boolean(COL.tasks.done):notNullable():defaultTo(false)
      t:date(COL.tasks.due_on)
      t:integer(COL.tasks.position):notNullable():defaultTo(0)
      t:timestamps(true, true)
      t:index({ COL.tasks.project_id, COL.tasks.done })
    end)

    -- A partial index has no builder method: raw SQL, with `??` for identifiers.
    -- `knex.schema:raw` runs at once, like every schema call (no `:run()`).
    knex.schema:raw("CREATE INDEX ?? ON ?? (??) WHERE NOT ??", {
      "tasks_open_due_on_index",
      T.tasks,
      COL.tasks.due_on,
      COL.tasks.done,
    })
  end,

  down = function(knex)
    -- Dropping the table drops its indexes; the enum type must go by hand.
    knex.schema:dropTable(T.tasks)
    knex.schema:dropTable(T.projects)
    knex.schema:raw("DROP TYPE ??", { C.types.project_visibility })
  end,
}
