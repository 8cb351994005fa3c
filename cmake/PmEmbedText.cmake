# Script mode: cmake -DIN=<text file> -DOUT=<cpp> -DFUNCTION=<qualified name> -P PmEmbedText.cmake
file(READ ${IN} content)
string(FIND "${content}" ")pm_embed\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${IN} contains the raw-string delimiter )pm_embed\"")
endif()
string(REGEX MATCH "^(.*)::([^:]+)$" _ "${FUNCTION}")
set(ns ${CMAKE_MATCH_1})
set(name ${CMAKE_MATCH_2})
file(WRITE ${OUT} "// Generated from ${IN} by cmake/PmEmbedText.cmake; do not edit.\n"
    "#include <string_view>\n\nnamespace ${ns} {\n\n"
    "std::string_view ${name}() {\n    return R\"pm_embed(${content})pm_embed\";\n}\n\n}  // namespace ${ns}\n")
