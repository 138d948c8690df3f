# The layers, checked: every #include "..." of a project file must name a file of its own layer
# or of a layer it may use. Run by the build (target tally_layers, before every library), so an
# upward include fails the build with the file, the line and the rule it breaks.
#
#   cmake -DROOT=<source dir> -P tools/check_layers.cmake
#
# A layer is a folder; the rules list, for each, the folders it may include from (its own is
# always allowed). Folders not listed (tests, bench, tools/load, ...) may include anything.
cmake_minimum_required(VERSION 3.20)
set(layers
  "engine/base"
  "engine/wire"
  "engine/ledger"
  "engine/pipeline"
  "engine/journal"
  "engine/read"
  "net/protocol"
  "net/client"
  "net/server"
  "net/http"
  "tools/common"
  "tools/tally"
  "tools/replay"
  "tools/export")
set(uses_engine/base "")
set(uses_engine/wire "engine/base")
set(uses_engine/ledger "engine/base;engine/wire")
set(uses_engine/pipeline "engine/base;engine/wire;engine/ledger")
set(uses_engine/journal "engine/base;engine/wire;engine/ledger;engine/pipeline")
set(uses_engine/read "engine/base;engine/wire;engine/ledger;engine/journal")
set(uses_net/protocol "engine/base;engine/wire")
set(uses_net/client "engine/base;engine/wire;net/protocol")
set(uses_net/server
    "engine/base;engine/wire;engine/ledger;engine/pipeline;engine/journal;engine/read;net/protocol")
set(uses_net/http
    "engine/base;engine/wire;engine/ledger;engine/pipeline;engine/journal;engine/read;net/protocol;net/client;net/server")
set(uses_tools/common "engine/base;engine/wire")
set(uses_tools/tally "engine/base;engine/wire;net/protocol;net/client;tools/common")
# tally-export is a subscriber like any client: it needs no ledger, journal or read model.
set(uses_tools/export "engine/base;engine/wire;net/protocol;net/client;tools/common")
set(uses_tools/replay
    "engine/base;engine/wire;engine/ledger;engine/pipeline;engine/journal;engine/read;tools/common")

# The layer a project path belongs to, or "" if none.
function(layer_of path result)
  set(found "")
  foreach(layer IN LISTS layers)
    string(LENGTH "${layer}/" prefix_length)
    string(SUBSTRING "${path}" 0 ${prefix_length} prefix)
    if(prefix STREQUAL "${layer}/")
      set(found "${layer}")
    endif()
  endforeach()
  set(${result} "${found}" PARENT_SCOPE)
endfunction()

set(broken 0)
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/${layer}/*.h" "${ROOT}/${layer}/*.cpp")
  foreach(source IN LISTS sources)
    file(STRINGS "${ROOT}/${source}" includes REGEX "^#include \"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" included "${line}")
      layer_of("${included}" target)
      if(target STREQUAL "" OR target STREQUAL layer)
        continue()
      endif()
      if(NOT target IN_LIST uses_${layer})
        set(allowed "${uses_${layer}}")
        if(allowed STREQUAL "")
          set(allowed "nothing")
        endif()
        message(SEND_ERROR "${source}: includes ${included}: ${layer} may use only: ${allowed}")
        math(EXPR broken "${broken} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()
if(broken GREATER 0)
  message(FATAL_ERROR "${broken} include(s) go against the layers (tools/check_layers.cmake)")
endif()
