# Writes OUTPUT, a C++ file holding every file below SOURCE_DIR as a byte array, with
# find_asset() to look them up (agent/web/assets.h). Run with cmake -P at build time.
file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
list(FILTER files EXCLUDE REGEX "\\.md$")  # the folder's README is for developers, not served
list(SORT files)
set(arrays "")
set(table "")
set(index 0)
foreach(file IN LISTS files)
  file(READ "${SOURCE_DIR}/${file}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char asset_${index}[] = {${bytes}0};\n")
  string(APPEND table "    {\"${file}\", asset_${index}, ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from wizard-ui/ by agent/web/embed_assets.cmake; do not edit.
#include \"web/assets.h\"

#include <iterator>

namespace sitelink::web {
namespace {
${arrays}
const Asset kAssets[] = {
${table}};
}  // namespace

const Asset* find_asset(const std::string& path) {
    for (const auto& asset : kAssets)
        if (path == asset.path) return &asset;
    return nullptr;
}

}  // namespace sitelink::web
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
