# The web console (web/, issue #12): `npm ci` (only when package-lock.json changed) and
# `npm run build` into ${PROJECT_BINARY_DIR}/web/console, installed to
# ${CMAKE_INSTALL_DATADIR}/powermanage/console, where an installed pm-control finds it; and the
# browser tests (label `browser`). On by default when Node.js 20+ and npm are found, off in
# sanitizer builds (which would only build it a second time), like the API reference.
set(pm_console_missing "")
find_program(PM_NODE node)
find_program(PM_NPM npm)
if(NOT PM_NODE OR NOT PM_NPM)
    set(pm_console_missing "Node.js 20+ and npm were not found")
else()
    execute_process(COMMAND ${PM_NODE} -p "process.versions.node"
                    OUTPUT_VARIABLE pm_node_version OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE pm_node_result)
    if(NOT pm_node_result EQUAL 0)
        set(pm_console_missing "${PM_NODE} does not run")
    elseif(pm_node_version VERSION_LESS 20)
        set(pm_console_missing "${PM_NODE} is Node.js '${pm_node_version}', older than 20")
    endif()
endif()
if(pm_console_missing OR PM_SANITIZE)
    set(pm_console_default OFF)
else()
    set(pm_console_default ON)
endif()
option(PM_CONSOLE "Build the web console with npm (target console) and its browser tests"
       ${pm_console_default})
if(NOT PM_CONSOLE)
    if(pm_console_missing)
        message(STATUS "web console: off (${pm_console_missing}; scripts/setup installs them)")
    elseif(PM_SANITIZE)
        message(STATUS "web console: off (a sanitizer build; -DPM_CONSOLE=ON to build it anyway)")
    else()
        message(STATUS "web console: off (-DPM_CONSOLE=OFF)")
    endif()
    return()
endif()
if(pm_console_missing)
    message(FATAL_ERROR "PM_CONSOLE needs ${pm_console_missing}: run scripts/setup, or "
                        "-DPM_CONSOLE=OFF")
endif()
message(STATUS "web console: on (Node.js ${pm_node_version}), built into "
               "${PROJECT_BINARY_DIR}/web/console")

set(pm_web ${PROJECT_SOURCE_DIR}/web)
set(PM_CONSOLE_OUTPUT ${PROJECT_BINARY_DIR}/web/console)
set(pm_npm_stamp ${PROJECT_BINARY_DIR}/web/npm-ci.stamp)

add_custom_command(
    OUTPUT ${pm_npm_stamp}
    COMMAND ${pm_web}/scripts/npm-ci-once
    COMMAND ${CMAKE_COMMAND} -E touch ${pm_npm_stamp}
    DEPENDS ${pm_web}/package-lock.json ${pm_web}/package.json ${pm_web}/scripts/npm-ci-once
    COMMENT "web console: npm ci (when package-lock.json changed)"
    VERBATIM)

# src/gen is the build's own output (buf generate), so it is no input; naming the source
# folders (not a recursive glob of src/) keeps its files from re-running CMake after a build.
file(GLOB pm_console_sources LIST_DIRECTORIES false CONFIGURE_DEPENDS
     ${pm_web}/src/* ${pm_web}/src/pages/* ${pm_web}/src/ui/* ${pm_web}/public/*
     ${PROJECT_SOURCE_DIR}/proto/pm/v1/*.proto)
add_custom_command(
    OUTPUT ${PM_CONSOLE_OUTPUT}/index.html
    COMMAND ${CMAKE_COMMAND} -E env PM_CONSOLE_OUT=${PM_CONSOLE_OUTPUT} ${PM_NPM} run build
    DEPENDS ${pm_npm_stamp} ${pm_console_sources} ${pm_web}/index.html ${pm_web}/tsconfig.json
            ${pm_web}/vite.config.ts ${pm_web}/buf.gen.yaml
    WORKING_DIRECTORY ${pm_web}
    COMMENT "web console: buf generate, tsc, vite build into ${PM_CONSOLE_OUTPUT}"
    VERBATIM)
add_custom_target(console ALL DEPENDS ${PM_CONSOLE_OUTPUT}/index.html)

install(DIRECTORY ${PM_CONSOLE_OUTPUT}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/powermanage/console)

# The browser tests start their own stack (PostgreSQL, pm-control, pm-gateway, agents) and
# drive Debian's chromium; serial because they load the machine (one browser, 20 agents).
if(PM_BUILD_TESTS)
    add_test(NAME web.browser
             COMMAND ${pm_web}/tests/run --build ${PROJECT_BINARY_DIR}
                     --screenshots ${PROJECT_BINARY_DIR}/web/screenshots)
    set_tests_properties(web.browser PROPERTIES LABELS browser TIMEOUT 600 RUN_SERIAL TRUE)
    # 10,000 devices enrolled through Register, then the devices page's first paint (< 1 s).
    add_test(NAME web.scale
             COMMAND ${pm_web}/tests/run --build ${PROJECT_BINARY_DIR} --agents 0
                     --screenshots ${PROJECT_BINARY_DIR}/web/screenshots
                     ${pm_web}/tests/scale.test.mjs)
    set_tests_properties(web.scale PROPERTIES LABELS browser TIMEOUT 600 RUN_SERIAL TRUE)
endif()
