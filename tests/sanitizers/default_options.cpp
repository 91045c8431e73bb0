// Built into every executable of a MATERIA_SANITIZE build (see CMakeLists.txt): the
// sanitizers' default options, so that a run with a scrubbed environment (tests that use
// `env -i`) still writes its reports where scripts/test-asan looks for them and still
// applies our suppressions. ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS in the
// environment are read after these and override them.

#define MATERIA_SANITIZER_EXPORT extern "C" __attribute__((visibility("default"), used))

// AddressSanitizer's and LeakSanitizer's reports go to <dir>/asan.<program>.<pid> rather
// than to stderr, so a test expecting a failure (and a particular stderr) cannot hide one.
MATERIA_SANITIZER_EXPORT const char* __asan_default_options() {
  return "log_path=" MATERIA_SANITIZER_LOG_DIR "/asan:log_exe_name=1"
         ":detect_leaks=1:check_initialization_order=1:strict_init_order=1"
         ":detect_stack_use_after_return=1:print_suppressions=0";
}

// With gcc, UBSan's runtime is a library of its own beside ASan's, and its log_path has
// no effect (setting it reaches ASan's copy of the report file): its reports stay on
// stderr. The process then exits 99, which no command of ours uses, and scripts/test-asan
// also looks for "runtime error:" in the tests' output.
MATERIA_SANITIZER_EXPORT const char* __ubsan_default_options() {
  return "exitcode=99:print_stacktrace=1:halt_on_error=1"
         ":suppressions=" MATERIA_SANITIZER_SUPPRESSIONS_DIR "/ubsan.supp";
}

MATERIA_SANITIZER_EXPORT const char* __lsan_default_options() {
  return "suppressions=" MATERIA_SANITIZER_SUPPRESSIONS_DIR "/lsan.supp:print_suppressions=0";
}
