-- Purpose: the names of the porting examples (projects and their tasks), kept
-- apart from the Vectra server's own constants so the examples can run on an
-- empty database without touching the real schema.
---@class ExampleConstants
local C = {}

---@class ExampleTables
C.tables = {
  projects = "projects",
  tasks = "tasks",
}

---@class ExampleColumns
C.columns = {
  ---@class ExampleColumns.projects
  projects = {
    id = "id",
    slug = "slug",
    name = "name",
    visibility = "visibility",
    settings = "settings",
    archived_at = "archived_at",
    created_at = "created_at",
    updated_at = "updated_at",
  },
  ---@class ExampleColumns.tasks
  tasks = {
    id = "id",
    project_id = "project_id",
    title = "title",
    body = "body",
    done = "done",
    due_on = "due_on",
    position = "position",
    created_at = "created_at",
    updated_at = "updated_at",
  },
}

---@class ExampleTypes
C.types = {
  project_visibility = "project_visibility",
}

C.enums = {
  project_visibility = { "private", "internal", "public" },
}

return C
