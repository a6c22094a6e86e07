# Turns the migrations into a C++ source at build time: the SQL files are the
# source of truth and ship inside the binaries.
file(GLOB files "${SRC_DIR}/migrations/*.sql")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} sql)
  string(APPEND body "    {\"${name}\", R\"oee_sql(${sql})oee_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from projections/migrations/*.sql. Do not edit.\n#include \"projections/migrations.h\"\n\nnamespace oee::projections {\n\nconst std::vector<Migration>& migrations() {\n  static const std::vector<Migration> all{\n${body}  };\n  return all;\n}\n\n}  // namespace oee::projections\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
