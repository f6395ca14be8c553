# skiff_embed(<target-var> <symbol> files...) generates a .cc that defines
#   std::span<const skiff::EmbeddedFile> <symbol>()
# holding the files' bytes, so the binary carries its own built-in definitions.
function(skiff_embed out_var symbol)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_embedded.cc)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -DOUT=${gen} -DSYMBOL=${symbol} "-DFILES=${files}"
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
  set(${out_var} ${gen} PARENT_SCOPE)
endfunction()
