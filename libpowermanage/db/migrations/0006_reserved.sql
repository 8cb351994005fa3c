-- PLACEHOLDER on branch feat/query: version 6 is reserved for the lead's migration. Replace
-- this file (and its line in db/CMakeLists.txt, migrations.cpp, embedded_migrations.hpp) with
-- the real 0006 when merging; nothing here depends on it.
SELECT 1;
