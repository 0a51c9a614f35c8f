-- Purpose: a demo project with three tasks for new installations, ported from
-- the TypeScript seed `01_demo_project.ts` (docs/porting-from-knex.md,
-- example 2). Unlike the original it can run again: the project is upserted
-- by its slug and only its tasks are replaced.
local C = require("constants")
local T, COL = C.tables, C.columns

local DEMO_SLUG = "getting-started"

local titles = {
  "Invite your team",
  "Create your first API key",
  "Read the documentation",
}

return {
  seed = function(knex)
    -- `const [project] = await knex("projects").insert(...).returning(["id"])`
    local project = knex(T.projects)
      :insert({
        [COL.projects.slug] = DEMO_SLUG,
        [COL.projects.name] = "Getting started",
        [COL.projects.visibility] = "internal",
        -- A Lua table bound to a jsonb column is sent as JSON.
        [COL.projects.settings] = { color = "teal", pinned = true },
      })
      :onConflict(COL.projects.slug)
      :merge({ COL.projects.name, COL.projects.visibility, COL.projects.settings })
      :returning({ COL.projects.id })
      :run()[1]

    knex(T.tasks):where(COL.tasks.project_id, project[COL.projects.id]):del():run()

    local rows = {}
    for i, title in ipairs(titles) do
      rows[#rows + 1] = {
        [COL.tasks.project_id] = project[COL.projects.id],
        [COL.tasks.title] = title,
        [COL.tasks.done] = i == #titles,
        [COL.tasks.due_on] = knex.null, -- JavaScript's `null`
        [COL.tasks.position] = i,
      }
    end
    knex(T.tasks):insert(rows):run()

    local open = knex(T.tasks)
      :where(COL.tasks.project_id, project[COL.projects.id])
      :where(COL.tasks.done, false)
      :count("* as n")
      :first()
      :run()
    print(("demo project %s has %s open tasks"):format(project[COL.projects.id], open.n))
  end,
}
