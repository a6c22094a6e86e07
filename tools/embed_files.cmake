# Turns text files into a C++ source at build time, so the binaries carry
# them and read nothing from disk to use them: the SQL migrations, the
# pages the server serves. Each file becomes {name, text}, its name being
# the file's name without its extension (with it, given WITH_EXTENSION=TRUE),
# in name order.
#
#   cmake -DFILES_GLOB=<pattern> -DFROM=<what to name in the header comment>
#         -DOUT=<file.cpp> -DHEADER=<header to include> -DNAMESPACE=<ns>
#         -DTYPE=<element type> -DFUNCTION=<name> [-DWITH_EXTENSION=TRUE]
#         -P tools/embed_files.cmake
#
# defines `std::span<const TYPE> NAMESPACE::FUNCTION()`.
file(GLOB files "${FILES_GLOB}")
list(SORT files)
if(NOT files)
  message(FATAL_ERROR "no file matches ${FILES_GLOB}")
endif()
set(entries "")
foreach(f ${files})
  if(WITH_EXTENSION)
    get_filename_component(name ${f} NAME)
  else()
    get_filename_component(name ${f} NAME_WE)
  endif()
  file(READ ${f} text)
  string(FIND "${text}" ")oee_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )oee_embed\"")
  endif()
  string(APPEND entries "      {\"${name}\", R\"oee_embed(${text})oee_embed\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from ${FROM}. Do not edit.\n#include \"${HEADER}\"\n\nnamespace ${NAMESPACE} {\n\n"
     "std::span<const ${TYPE}> ${FUNCTION}() {\n  static const ${TYPE} files[] = {\n${entries}  };\n  return files;\n}\n\n"
     "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
