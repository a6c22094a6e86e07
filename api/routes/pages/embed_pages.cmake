# Turns the pages under api/routes/pages/ into a C++ source at build time, so the
# server carries them and reads nothing from disk or the network to serve
# them. A file's name without its extension is its path: test.html -> /test.
file(GLOB files "${SRC_DIR}/*.html")
list(SORT files)
set(entries "")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(FIND "${text}" ")oee_page\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )oee_page\"")
  endif()
  string(APPEND entries "    {\"${name}\", Page{\"text/html; charset=utf-8\", R\"oee_page(${text})oee_page\"}},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from api/routes/pages/. Do not edit.\n#include \"api/routes/pages/pages.h\"\n\n#include <map>\n\nnamespace oee::api {\n\nconst Page* find_page(std::string_view name) {\n  static const std::map<std::string_view, Page> pages{\n${entries}  };\n  const auto it = pages.find(name);\n  return it == pages.end() ? nullptr : &it->second;\n}\n\n}  // namespace oee::api\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
